// arm64 counter reads (common/insn.h, common/counter_patch.h): which A64
// words are `mrs Xt, cntvct_el0`, the brk rp writes over them and the sweep
// of a code image. Plain arithmetic, checked on the x86_64 host; Capstone's
// AArch64 disassembler is the independent reference for the encodings.
#include <capstone.h>
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "counter_patch.h"
#include "render.h"
#include "trace.h"
#include "trace_check.h"

namespace rp {
namespace {

std::string word_bytes(uint32_t w) { return std::string(reinterpret_cast<const char*>(&w), 4); }

// Capstone's text for one little-endian A64 word: "mrs x3, cntvct_el0".
std::string disasm(uint32_t word) {
  csh h;
  if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK) return "?";
  cs_insn* insn = nullptr;
  std::string b = word_bytes(word), out = "?";
  if (cs_disasm(h, reinterpret_cast<const uint8_t*>(b.data()), 4, 0x1000, 1, &insn) == 1) {
    out = std::string(insn[0].mnemonic) + " " + insn[0].op_str;
    cs_free(insn, 1);
  }
  cs_close(&h);
  return out;
}

TEST(CounterRead, DecodesEveryRegisterOfBothCounters) {
  for (int rt = 0; rt <= 30; rt++) {
    for (auto kind : {TrappedInsn::kCntvct, TrappedInsn::kCntvctss}) {
      uint32_t w = encode_counter_read(CounterRead{kind, rt});
      auto r = decode_counter_read(w);
      ASSERT_TRUE(r) << std::hex << w;
      EXPECT_EQ(r->kind, kind);
      EXPECT_EQ(r->rt, rt);
      if (kind == TrappedInsn::kCntvct) {
        EXPECT_EQ(disasm(w), "mrs x" + std::to_string(rt) + ", cntvct_el0");
      }
    }
  }
  EXPECT_EQ(encode_counter_read(CounterRead{TrappedInsn::kCntvct, 0}), 0xd53be040u);
  EXPECT_EQ(encode_counter_read(CounterRead{TrappedInsn::kCntvctss, 1}), 0xd53be0c1u);
}

TEST(CounterRead, LeavesOtherRegistersAndInstructions) {
  EXPECT_FALSE(decode_counter_read(0xd53be020));  // mrs x0, cntpct_el0: SIGILL at EL0
  EXPECT_FALSE(decode_counter_read(0xd53be000));  // mrs x0, cntfrq_el0
  EXPECT_FALSE(decode_counter_read(0xd51be040));  // msr cntvct_el0, x0 (not a read)
  EXPECT_FALSE(decode_counter_read(0xd503201f));  // nop
  EXPECT_FALSE(decode_counter_read(0xd4200000));  // brk #0
}

TEST(CounterTrap, RoundTripsAndIsADistinctBrk) {
  for (int rt = 0; rt <= 31; rt++) {
    for (auto kind : {TrappedInsn::kCntvct, TrappedInsn::kCntvctss}) {
      uint32_t w = encode_counter_trap(CounterRead{kind, rt});
      auto r = decode_counter_trap(w);
      ASSERT_TRUE(r) << std::hex << w;
      EXPECT_EQ(r->kind, kind);
      EXPECT_EQ(r->rt, rt);
      EXPECT_EQ(disasm(w).rfind("brk #0x72", 0), 0u) << disasm(w);
      EXPECT_FALSE(decode_counter_read(w));
    }
  }
  EXPECT_FALSE(decode_counter_trap(0xd4200000));                        // gdb's brk #0
  EXPECT_FALSE(decode_counter_trap(0xd42000a0));                        // uprobes' brk #5
  EXPECT_FALSE(decode_counter_trap(0xd4200000 | (kCounterBrkBase + 64) << 5));
  EXPECT_FALSE(decode_counter_trap(encode_counter_trap({TrappedInsn::kCntvct, 3}) | 1));  // not a brk
  EXPECT_FALSE(decode_counter_trap(0xd53be040));
}

TEST(CounterSweep, FindsAlignedReadsOnly) {
  const uint32_t nop = 0xd503201f, read_x5 = 0xd53be045, read_ss_x30 = 0xd53be0de;
  std::string code = word_bytes(nop) + word_bytes(read_x5) + word_bytes(nop) +
                     word_bytes(read_ss_x30);
  auto sites = find_counter_reads(code, 0x400000);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].addr, 0x400004u);
  EXPECT_EQ(sites[0].read.rt, 5);
  EXPECT_EQ(sites[0].read.kind, TrappedInsn::kCntvct);
  EXPECT_EQ(sites[1].addr, 0x40000cu);
  EXPECT_EQ(sites[1].read.rt, 30);
  EXPECT_EQ(sites[1].read.kind, TrappedInsn::kCntvctss);
  // The same word 2 bytes off an instruction boundary is not an instruction.
  std::string skewed = std::string(2, '\0') + word_bytes(read_x5) + std::string(2, '\0');
  EXPECT_TRUE(find_counter_reads(skewed, 0x400000).empty());
  // A base that is not 4-aligned: the sweep starts at the first aligned address.
  EXPECT_EQ(find_counter_reads(skewed, 0x400002).size(), 1u);
  EXPECT_EQ(find_counter_reads(skewed, 0x400002)[0].addr, 0x400004u);
  // A trailing partial word is not read.
  EXPECT_TRUE(find_counter_reads(word_bytes(read_x5).substr(0, 3), 0).empty());
}

TEST(CounterSweep, GdbSeesTheOriginalInstructions) {
  const uint32_t nop = 0xd503201f, read_x7 = 0xd53be047;
  const uint32_t trap = encode_counter_trap(*decode_counter_read(read_x7));
  std::string mem = word_bytes(nop) + word_bytes(trap) + word_bytes(0xd4200000);
  show_counter_reads(0x1000, mem);
  EXPECT_EQ(mem, word_bytes(nop) + word_bytes(read_x7) + word_bytes(0xd4200000));
  // A read that starts inside a word: only whole words are translated.
  std::string part = word_bytes(trap).substr(2) + word_bytes(trap);
  show_counter_reads(0x1006, part);
  EXPECT_EQ(part, word_bytes(trap).substr(2) + word_bytes(read_x7));
}

Event counter_event(int64_t nr, uint64_t value, uint64_t pc, uint64_t rt) {
  Event e;
  e.seq = 7;
  e.tid = 100;
  e.kind = EventKind::kInsn;
  e.nr = nr;
  e.args[0] = value;
  e.args[1] = pc;
  e.args[2] = rt;
  return e;
}

TEST(CounterEvent, DumpedAndChecked) {
  Event e = counter_event(4, 0x2a, 0x400104, 3);
  EXPECT_NE(render_event(e).find("cntvct_el0 = 0x2a into x3 at pc 0x400104"), std::string::npos)
      << render_event(e);
  EXPECT_EQ(event_problem(e), "");
  EXPECT_EQ(event_problem(counter_event(5, 1, 0x400104, 31)), "");
  EXPECT_NE(event_problem(counter_event(4, 1, 0x400104, 32)), "");
  EXPECT_NE(event_problem(counter_event(6, 1, 0x400104, 3)), "");
}

// Which calls make code executable that the sweep must look at after they
// return: ld.so's mmap of a library's text, a dlopen's, an mprotect to exec.
TEST(ExecMapRange, FileCodeMappings) {
  uint64_t text[6] = {0, 5000, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_DENYWRITE, 3, 0};
  auto r = exec_map_range(SYS_mmap, text, 0x7f0000000000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->addr, 0x7f0000000000u);
  EXPECT_EQ(r->len, 8192u);  // whole pages: the tail of the last one is mapped too
  uint64_t prot[6] = {0x400000, 4096, PROT_READ | PROT_EXEC, 0, 0, 0};
  for (long nr : {long{SYS_mprotect}, long{SYS_pkey_mprotect}}) {
    auto p = exec_map_range(nr, prot, 0);
    ASSERT_TRUE(p) << nr;
    EXPECT_EQ(p->addr, 0x400000u);
    EXPECT_EQ(p->len, 4096u);
  }
}

TEST(ExecMapRange, LeavesOtherCallsAlone) {
  uint64_t data[6] = {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 3, 0};
  EXPECT_FALSE(exec_map_range(SYS_mmap, data, 0x7f0000000000));  // not executable
  uint64_t anon[6] = {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, ~0ull, 0};
  EXPECT_FALSE(exec_map_range(SYS_mmap, anon, 0x7f0000000000));  // no file bytes yet
  uint64_t shared[6] = {0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, 3, 0};
  EXPECT_FALSE(exec_map_range(SYS_mmap, shared, 0x7f0000000000));  // a write reaches the file
  uint64_t text[6] = {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, 3, 0};
  EXPECT_FALSE(exec_map_range(SYS_mmap, text, -ENOMEM));  // failed
  uint64_t prot[6] = {0x400000, 4096, PROT_READ, 0, 0, 0};
  EXPECT_FALSE(exec_map_range(SYS_mprotect, prot, 0));
  prot[2] = PROT_READ | PROT_EXEC;
  EXPECT_FALSE(exec_map_range(SYS_mprotect, prot, -EACCES));
  EXPECT_FALSE(exec_map_range(SYS_munmap, prot, 0));
}

TEST(CodeSweep, ClipKeepsOnlyTheAllowedParts) {
  const std::vector<CodeRange> code{{0x1000, 0x100}, {0x3000, 0x2000}};
  const std::vector<CodeRange> allowed{{0x1080, 0x1000}, {0x4000, 0x10}};
  const std::vector<CodeRange> got = clip_ranges(code, allowed);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].addr, 0x1080u);
  EXPECT_EQ(got[0].len, 0x80u);
  EXPECT_EQ(got[1].addr, 0x4000u);
  EXPECT_EQ(got[1].len, 0x10u);
  EXPECT_TRUE(clip_ranges(code, {}).empty());
}

TEST(CodeSweep, NotedSweepsReadBackAndDamagedOnesAreRefused) {
  const std::string item = format_code_sweep(77, 0, UINT64_MAX, {{0x1000, 16}, {0x2000, 32}});
  auto n = parse_code_sweep(item);
  ASSERT_TRUE(n) << item;
  EXPECT_EQ(n->tid, 77);
  EXPECT_EQ(n->lo, 0u);
  EXPECT_EQ(n->hi, UINT64_MAX);
  ASSERT_EQ(n->ranges.size(), 2u);
  EXPECT_EQ(n->ranges[1].addr, 0x2000u);
  EXPECT_EQ(n->ranges[1].len, 32u);
  ASSERT_TRUE(parse_code_sweep("5 4096 8192"));  // a sweep that found no code
  for (const char* bad : {"", "0 0 1", "5 9 8", "5 0 1 4096", "5 0 1 4096 x",
                          "5 0 1 18446744073709551615 2", "-1 0 1", "5 0 1 4096 16 junk"})
    EXPECT_FALSE(parse_code_sweep(bad)) << bad;
}

}  // namespace
}  // namespace rp
