// The arm64 conditional trap (replay/point_patch_aarch64.h), on any host:
// which sites it refuses, and the stub and relocations it writes, read back
// through Capstone's AArch64 disassembler. The stub runs in the arm64 VM
// test (tests/arm64, samples tight_loop and spin_wait).
#include "point_patch_aarch64.h"

#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace rp::a64 {
namespace {

constexpr uint64_t kIp = 0x400100, kEntry = 0x500000, kData = kEntry + 0x2000;
constexpr uint32_t kNop = 0xd503201f;

// kCodeBefore bytes of nops, then `words` from kIp.
std::string code(std::vector<uint32_t> before, std::vector<uint32_t> words) {
  std::vector<uint32_t> all(kCodeBefore / 4 - before.size(), kNop);
  all.insert(all.end(), before.begin(), before.end());
  all.insert(all.end(), words.begin(), words.end());
  all.resize(all.size() + 8, kNop);
  return std::string(reinterpret_cast<const char*>(all.data()), 4 * all.size());
}

std::optional<Site> plan(std::vector<uint32_t> before, std::vector<uint32_t> words,
                         std::string* why) {
  return plan_site(code(before, words), kIp, why);
}

// "mnemonic operands" per word from `at`, as Capstone prints them.
std::vector<std::string> disasm(const std::string& bytes, uint64_t at, size_t words) {
  csh h;
  EXPECT_EQ(cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h), CS_ERR_OK);
  std::vector<std::string> out;
  for (size_t i = 0; i < words; i++) {
    cs_insn* insn = nullptr;
    size_t n = cs_disasm(h, reinterpret_cast<const uint8_t*>(bytes.data() + 4 * i), 4,
                         at + 4 * i, 1, &insn);
    out.push_back(n ? std::string(insn->mnemonic) + " " + insn->op_str : "(bad)");
    if (n) cs_free(insn, n);
  }
  cs_close(&h);
  return out;
}

uint64_t u64_at(const std::string& s, uint64_t off) {
  uint64_t v;
  std::memcpy(&v, s.data() + off, 8);
  return v;
}

// The relocated instruction's words (from body) and the stub.
std::vector<std::string> body_of(const Site& s, Stub* out, size_t words) {
  std::string why;
  auto st = build_stub(s, kEntry, kData, &why);
  EXPECT_TRUE(st) << why;
  if (!st) return {};
  *out = *st;
  return disasm(st->code.substr(st->body - kEntry), st->body, words);
}

std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}

// The literal an `ldr xN, #addr` (as Capstone prints it) loads.
uint64_t literal(const Stub& st, const std::string& ldr) {
  uint64_t addr = std::stoull(ldr.substr(ldr.find('#') + 1), nullptr, 16);
  return u64_at(st.code, addr - kEntry);
}

TEST(PointPatchA64, RefusesWhatCannotRunElsewhere) {
  std::string why;
  for (uint32_t w : {0xd4000001u /*svc*/, 0xd4200000u /*brk*/, 0xd63f0020u /*blr x1*/,
                     0x9c000040u /*ldr q0, lit*/, 0xd8000040u /*prfm lit*/, 0u /*udf*/,
                     0x5800011fu /*ldr xzr, lit*/}) {
    why.clear();
    EXPECT_FALSE(plan({}, {w}, &why)) << std::hex << w;
    EXPECT_FALSE(why.empty());
  }
  EXPECT_TRUE(plan({}, {0xd65f03c0 /*ret*/}, &why)) << why;
  EXPECT_TRUE(plan({}, {0xd61f0040 /*br x2*/}, &why)) << why;
  EXPECT_FALSE(plan_site(std::string(8, '\0'), kIp, &why));  // no code before the site
}

// 1: ldxr w1, [x0]; add w1, w1, #1; stxr w2, w1, [x0]; cbnz w2, 1b
TEST(PointPatchA64, RefusesSitesInsideAnExclusiveSequence) {
  const uint32_t ldxr = 0x885f7c01, add = 0x11000421, stxr = 0x88027c01, cbnz = 0x35ffffa2;
  std::string why;
  EXPECT_FALSE(plan({ldxr}, {add, stxr, cbnz}, &why));
  EXPECT_NE(why.find("exclusive"), std::string::npos) << why;
  EXPECT_FALSE(plan({ldxr, add}, {stxr, cbnz}, &why));
  // The store past a branch forward scanning stops at: the load behind tells.
  EXPECT_FALSE(plan({ldxr}, {add, 0x14000002 /*b .+8*/, stxr}, &why));
  // A site far past the load (a long sequence) is still caught by the store ahead.
  EXPECT_FALSE(plan({}, {add, add, stxr}, &why));
  EXPECT_TRUE(plan({}, {ldxr, add, stxr, cbnz}, &why)) << why;  // before it: nothing to break
  EXPECT_TRUE(plan({ldxr, add, stxr}, {cbnz}, &why)) << why;
  EXPECT_TRUE(plan({0x885f7c01, 0xd5033f5f /*clrex*/}, {add}, &why)) << why;
  // ldar/stlr and casp are not exclusive.
  EXPECT_TRUE(plan({0xc8dffc01 /*ldar*/}, {add}, &why)) << why;
  EXPECT_TRUE(plan({}, {add, 0x48207c82 /*casp*/}, &why)) << why;
  // ldaxr/stlxr are.
  EXPECT_FALSE(plan({0xc85ffc01 /*ldaxr*/}, {add, 0xc803fc01 /*stlxr*/}, &why));
}

TEST(PointPatchA64, CopiesAPositionIndependentInstruction) {
  std::string why;
  auto s = plan({}, {0xaa0103e0 /*mov x0, x1*/}, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->reloc, Reloc::kCopy);
  Stub st;
  EXPECT_EQ(body_of(*s, &st, 2), (std::vector<std::string>{"mov x0, x1", "b #0x400104"}));
  EXPECT_EQ(disasm(st.site_word, kIp, 1)[0], "b #0x500000");
}

TEST(PointPatchA64, RelocatesConditionalBranches) {
  std::string why;
  Stub st;
  auto bne = plan({}, {0x54000801 /*b.ne .+0x100*/}, &why);
  ASSERT_TRUE(bne) << why;
  auto b = body_of(*bne, &st, 3);
  EXPECT_EQ(b[0], "b.ne #" + hex(st.body + 8));
  EXPECT_EQ(b[1], "b #0x400104");
  EXPECT_EQ(b[2], "b #0x400200");
  auto tbz = plan({}, {0x36180208 /*tbz w8, #3, .+0x40*/}, &why);
  ASSERT_TRUE(tbz) << why;
  b = body_of(*tbz, &st, 3);
  EXPECT_EQ(b[0].substr(0, 11), "tbz w8, #3,");
  EXPECT_EQ(b[2], "b #0x400140");
  // A loop onto the site itself goes back to the stub: another pass, compared.
  auto self = plan({}, {0xb4000009 /*cbz x9, .*/}, &why);
  ASSERT_TRUE(self) << why;
  b = body_of(*self, &st, 3);
  EXPECT_EQ(b[0].substr(0, 7), "cbz x9,");
  EXPECT_EQ(b[2], "b #0x500000");
}

TEST(PointPatchA64, RelocatesCallsAddressesAndLiterals) {
  std::string why;
  Stub st;
  auto bl = plan({}, {0x94000400 /*bl .+0x1000*/}, &why);
  ASSERT_TRUE(bl) << why;
  auto b = body_of(*bl, &st, 2);
  EXPECT_EQ(b[0].substr(0, 9), "ldr x30, ");
  EXPECT_EQ(literal(st, b[0]), kIp + 4);  // the return address the callee would have seen
  EXPECT_EQ(b[1], "b #0x401100");
  auto adrp = plan({}, {0xb0000023 /*adrp x3, +5 pages*/}, &why);
  ASSERT_TRUE(adrp) << why;
  b = body_of(*adrp, &st, 2);
  EXPECT_EQ(b[0].substr(0, 8), "ldr x3, ");
  EXPECT_EQ(literal(st, b[0]), 0x405000u);
  EXPECT_EQ(b[1], "b #0x400104");
  auto adr = plan({}, {0x10000084 /*adr x4, .+0x10*/}, &why);
  ASSERT_TRUE(adr) << why;
  b = body_of(*adr, &st, 1);
  EXPECT_EQ(literal(st, b[0]), kIp + 0x10);
  for (auto [w, load] : {std::pair{0x58000105u, "ldr x5, [x5]"}, {0x18000106u, "ldr w6, [x6]"},
                         {0x98000107u, "ldrsw x7, [x7]"}}) {
    auto lit = plan({}, {w}, &why);
    ASSERT_TRUE(lit) << why;
    b = body_of(*lit, &st, 3);
    EXPECT_EQ(literal(st, b[0]), kIp + 0x20);
    EXPECT_EQ(b[1], load);
    EXPECT_EQ(b[2], "b #0x400104");
  }
}

TEST(PointPatchA64, RefusesTargetsOutOfReach) {
  std::string why;
  auto b = plan({}, {0x16000000 /*b .-128MiB*/}, &why);
  ASSERT_TRUE(b) << why;
  EXPECT_FALSE(build_stub(*b, kIp + 0x100000, kIp + 0x102000, &why));
  EXPECT_TRUE(build_stub(*b, kIp - 0x100000, kIp - 0xfe000, &why)) << why;
  auto mov = plan({}, {0xaa0103e0}, &why);
  EXPECT_FALSE(build_stub(*mov, kIp + kBranchReach, kIp + kBranchReach + 0x2000, &why));
  EXPECT_NE(why.find("reach"), std::string::npos) << why;
}

// The whole stub: every word decodes, it compares all 31 registers, sp and
// NZCV against the data block without writing the flags, and both traps are
// brk.
TEST(PointPatchA64, StubComparesEveryRegister) {
  std::string why;
  auto s = plan({}, {0xaa0103e0}, &why);
  ASSERT_TRUE(s);
  auto st = build_stub(*s, kEntry, kData, &why);
  ASSERT_TRUE(st) << why;
  auto text = disasm(st->code, kEntry, (st->forced - kEntry) / 4 + 1);
  int compares = 0;
  for (const auto& line : text) {
    EXPECT_NE(line, "(bad)");
    if (line.rfind("cbnz x16, ", 0) == 0) compares++;
    for (const char* sets_flags : {"cmp ", "cmn ", "tst ", "subs ", "adds ", "ands ", "msr "})
      EXPECT_NE(line.rfind(sets_flags, 0), 0u) << line;
  }
  EXPECT_EQ(compares, 33);
  EXPECT_EQ(text[0], "stp x16, x17, [sp, #-0x20]");
  EXPECT_EQ(text[(st->hit - kEntry) / 4], "brk #0");
  EXPECT_EQ(text[(st->forced - kEntry) / 4], "brk #0");
  EXPECT_EQ(text[(st->hit - kEntry) / 4 - 1], "ldp x16, x17, [sp, #-0x20]");
  EXPECT_EQ(text[(st->body - kEntry) / 4 - 1], "ldp x16, x17, [sp, #-0x20]");
  // Each register's compare loads its slot: x0 from kData, sp from slot 31.
  EXPECT_EQ(text[5], "ldr x16, #0x502000");
  EXPECT_EQ(text[6], "eor x16, x16, x0");
  EXPECT_EQ(text[7].rfind("cbnz x16, ", 0), 0u);
  EXPECT_NE(std::find(text.begin(), text.end(), "mrs x17, nzcv"), text.end());
  uint64_t x[31];
  for (int i = 0; i < 31; i++) x[i] = 100 + i;
  std::string d = stub_data(x, 0x7ff000, 0x60001000, 5);
  EXPECT_EQ(u64_at(d, 8 * 30), 130u);
  EXPECT_EQ(u64_at(d, 8 * kSpSlot), 0x7ff000u);
  EXPECT_EQ(u64_at(d, 8 * kNzcvSlot), 0x60000000u);  // NZCV only
  EXPECT_EQ(u64_at(d, 8 * kPassesSlot), 0u);
  EXPECT_EQ(u64_at(d, 8 * kBudgetSlot), 5u);
}

// The registers a loop changes (compare_first) are compared before the
// others, each still once: a pass that is not the point misses at its first
// compare instead of after every register that holds its value again.
TEST(PointPatchA64, TheRegistersALoopChangesAreComparedFirst) {
  std::string why;
  auto s = plan({}, {0xaa0103e0}, &why);
  ASSERT_TRUE(s);
  auto st = build_stub(*s, kEntry, kData, &why, {}, (uint64_t{1} << 20) | (uint64_t{1} << 3));
  ASSERT_TRUE(st) << why;
  auto text = disasm(st->code, kEntry, (st->forced - kEntry) / 4 + 1);
  std::vector<std::string> cmps;  // eor x16, x16, xN: compares xN (x17: sp, NZCV, x16, x17)
  for (const auto& line : text)
    if (line.rfind("eor x16, x16, ", 0) == 0) cmps.push_back(line);
  ASSERT_EQ(cmps.size(), 33u);
  EXPECT_EQ(cmps[0], "eor x16, x16, x3");
  EXPECT_EQ(cmps[1], "eor x16, x16, x20");
  EXPECT_EQ(cmps[2], "eor x16, x16, x0");
  EXPECT_EQ(std::count(cmps.begin(), cmps.end(), "eor x16, x16, x20"), 1);
  EXPECT_EQ(std::count(cmps.begin(), cmps.end(), "eor x16, x16, x3"), 1);
}

// The value an `ldr xN, #addr` (literal) line of the stub loads.
uint64_t literal(const std::string& code, const std::string& line) {
  const uint64_t addr = std::stoull(line.substr(line.find('#') + 1), nullptr, 16);
  return u64_at(code, addr - kEntry);
}

TEST(PointPatchA64, StubHashesTheWindowsAfterARegisterMatch) {
  std::string why;
  auto s = plan({}, {0xaa0103e0}, &why);
  ASSERT_TRUE(s);
  const std::vector<Window> windows = {{0x7000, 16, 0x1122334455667788}, {0x9008, 3, 42}};
  auto st = build_stub(*s, kEntry, kData, &why, windows);
  ASSERT_TRUE(st) << why;
  const std::string& code = st->code;
  auto text = disasm(code, kEntry, (st->forced - kEntry) / 4 + 1);
  for (const auto& line : text) EXPECT_NE(line, "(bad)");
  size_t i = std::find(text.begin(), text.end(), "stp x0, x1, [sp, #-0x40]") - text.begin();
  ASSERT_LT(i, text.size());
  EXPECT_EQ(text[i + 1], "stp x2, x3, [sp, #-0x30]");
  ASSERT_EQ(text[i + 2].rfind("ldr x1, #", 0), 0u) << text[i + 2];
  EXPECT_EQ(literal(code, text[i + 2]), 0x100000001b3u);  // the FNV prime
  i += 3;
  for (const Window& w : windows) {
    EXPECT_EQ(literal(code, text[i]), 0xcbf29ce484222325u) << text[i];  // ldr x16: the basis
    EXPECT_EQ(text[i].rfind("ldr x16, #", 0), 0u);
    EXPECT_EQ(text[i + 1].rfind("ldr x17, #", 0), 0u);
    EXPECT_EQ(literal(code, text[i + 1]), w.start);
    char words[32];
    snprintf(words, sizeof words, "movz x0, #0x%x", w.words);
    EXPECT_EQ(text[i + 2], words);
    char loop[32];
    snprintf(loop, sizeof loop, "cbnz x0, #0x%llx", static_cast<unsigned long long>(kEntry + 4 * (i + 3)));
    const std::vector<std::string> hash = {"ldr x3, [x17], #8", "eor x16, x16, x3",
                                           "mul x16, x16, x1", "eor x16, x16, x16, lsr #29",
                                           "sub x0, x0, #1", loop};
    for (size_t k = 0; k < hash.size(); k++) EXPECT_EQ(text[i + 3 + k], hash[k]);
    EXPECT_EQ(text[i + 9].rfind("ldr x3, #", 0), 0u);
    EXPECT_EQ(literal(code, text[i + 9]), w.sum);
    EXPECT_EQ(text[i + 10], "eor x16, x16, x3");
    EXPECT_EQ(text[i + 11].rfind("cbnz x16, #", 0), 0u);
    i += 12;
  }
  EXPECT_EQ(text[i], "ldp x0, x1, [sp, #-0x40]");
  EXPECT_EQ(text[i + 1], "ldp x2, x3, [sp, #-0x30]");
  // A sum that differs: x0-x3 back, then the miss path (the budget).
  const size_t hit = (st->hit - kEntry) / 4;
  EXPECT_EQ(text[hit], "brk #0");
  char miss[32];
  snprintf(miss, sizeof miss, "cbnz x16, #0x%llx", static_cast<unsigned long long>(st->hit + 4));
  EXPECT_EQ(text[i - 1], miss);
  EXPECT_EQ(text[hit + 1], "ldp x0, x1, [sp, #-0x40]");
  EXPECT_EQ(text[hit + 2], "ldp x2, x3, [sp, #-0x30]");
  EXPECT_FALSE(build_stub(*s, kEntry, kData, &why, {{0x7000, 17, 0}}));
}

}  // namespace
}  // namespace rp::a64
