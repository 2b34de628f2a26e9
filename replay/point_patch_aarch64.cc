// Code generation for the arm64 conditional trap (point_patch_aarch64.h).
#include "point_patch_aarch64.h"

#include <capstone/capstone.h>

#include <cstring>
#include <vector>

#include "rp_digest_rules.h"

namespace rp::a64 {
namespace {

constexpr uint32_t kNop = 0xd503201f, kBrk = 0xd4200000;
constexpr int kX16 = 16, kX17 = 17, kSp = 31;

int64_t sext(uint64_t v, int bits) {
  return static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
}
uint32_t word_at(const std::string& code, size_t off) {
  uint32_t w;
  std::memcpy(&w, code.data() + off, 4);
  return w;
}
std::string word_bytes(uint32_t w) { return std::string(reinterpret_cast<const char*>(&w), 4); }

// Instruction classes by their encoding (Arm ARM, "A64 instruction set
// encoding"); only the pc-relative ones need rewriting.
bool is_adr(uint32_t i) { return (i & 0x1f000000) == 0x10000000; }  // adr and adrp
bool is_b(uint32_t i) { return (i & 0x7c000000) == 0x14000000; }    // b and bl
bool is_bcond(uint32_t i) { return (i & 0xff000010) == 0x54000000; }
bool is_cb(uint32_t i) { return (i & 0x7e000000) == 0x34000000; }   // cbz, cbnz
bool is_tb(uint32_t i) { return (i & 0x7e000000) == 0x36000000; }   // tbz, tbnz
bool is_ldr_lit(uint32_t i) { return (i & 0x3b000000) == 0x18000000; }
bool is_exception(uint32_t i) { return (i & 0xff000000) == 0xd4000000; }  // svc, brk, hlt...
bool is_branch_reg(uint32_t i) { return (i & 0xfe000000) == 0xd6000000; }
bool is_clrex(uint32_t i) { return (i & 0xfffff0ff) == 0xd503305f; }
// Load/store exclusive (not the acquire/release-only forms, not CASP).
bool is_exclusive(uint32_t i) {
  return (i & 0x3f800000) == 0x08000000 && (!(i & (1u << 21)) || (i & (1u << 31)));
}
bool is_load_exclusive(uint32_t i) { return is_exclusive(i) && (i & (1u << 22)); }
bool is_store_exclusive(uint32_t i) { return is_exclusive(i) && !(i & (1u << 22)); }
bool ends_flow(uint32_t i) { return (i & 0xfc000000) == 0x14000000 || is_branch_reg(i); }

// Branch targets and immediates.
uint64_t imm19_target(uint32_t i, uint64_t pc) { return pc + 4 * sext((i >> 5) & 0x7ffff, 19); }
uint64_t imm14_target(uint32_t i, uint64_t pc) { return pc + 4 * sext((i >> 5) & 0x3fff, 14); }
uint64_t imm26_target(uint32_t i, uint64_t pc) { return pc + 4 * sext(i & 0x3ffffff, 26); }
uint64_t adr_target(uint32_t i, uint64_t pc) {
  int64_t imm = sext((((i >> 5) & 0x7ffff) << 2) | ((i >> 29) & 3), 21);
  if (i & 0x80000000) return (pc & ~uint64_t{0xfff}) + (static_cast<uint64_t>(imm) << 12);
  return pc + imm;
}

bool fits(int64_t delta, int bits) {
  return delta % 4 == 0 && sext(static_cast<uint64_t>(delta / 4), bits) == delta / 4;
}

// A small assembler: words at a known address, branches and literal loads
// to labels or addresses resolved at the end, a literal pool after the code.
class Asm {
 public:
  explicit Asm(uint64_t base) : base_(base) {}
  uint64_t here() const { return base_ + 4 * words_.size(); }
  void put(uint32_t w) { words_.push_back(w); }
  // A pc-relative field (imm19 at bit 5, or imm26 at bit 0) to an address.
  void rel(uint32_t w, uint64_t to, int bits) { fix_.push_back({words_.size(), to, bits, -1}), put(w); }
  void rel_label(uint32_t w, int label, int bits) {
    fix_.push_back({words_.size(), 0, bits, label}), put(w);
  }
  void bind(int label) {
    if (labels_.size() <= static_cast<size_t>(label)) labels_.resize(label + 1);
    labels_[label] = here();
  }
  // ldr xt, =value (from the literal pool).
  void ldr_value(int xt, uint64_t value) {
    lits_.push_back({words_.size(), value});
    put(0x58000000 | xt);
  }
  void ldr_slot(int xt, uint64_t addr) { rel(0x58000000 | xt, addr, 19); }
  void adr(int xd, uint64_t addr) { adr_.push_back({words_.size(), addr}), put(0x10000000 | xd); }
  std::optional<std::string> finish() {
    if (words_.size() % 2) put(kNop);  // 8-byte aligned literals
    for (auto [at, value] : lits_) {
      fix_.push_back({at, here(), 19, -1});
      put(static_cast<uint32_t>(value)), put(static_cast<uint32_t>(value >> 32));
    }
    for (const Fix& f : fix_) {
      uint64_t to = f.label >= 0 ? labels_[f.label] : f.to;
      int64_t d = static_cast<int64_t>(to - (base_ + 4 * f.at));
      if (!fits(d, f.bits)) return std::nullopt;
      uint32_t imm = static_cast<uint32_t>(d / 4) & ((1u << f.bits) - 1);
      words_[f.at] |= f.bits == 26 ? imm : imm << 5;
    }
    for (auto [at, addr] : adr_) {
      int64_t d = static_cast<int64_t>(addr - (base_ + 4 * at));
      if (sext(static_cast<uint64_t>(d), 21) != d) return std::nullopt;
      words_[at] |= ((d & 3) << 29) | (((d >> 2) & 0x7ffff) << 5);
    }
    return std::string(reinterpret_cast<const char*>(words_.data()), 4 * words_.size());
  }

 private:
  struct Fix {
    size_t at;
    uint64_t to;
    int bits, label;
  };
  uint64_t base_;
  std::vector<uint32_t> words_;
  std::vector<Fix> fix_;
  std::vector<std::pair<size_t, uint64_t>> lits_, adr_;
  std::vector<uint64_t> labels_;
};

uint32_t b_op() { return 0x14000000; }
// The stub never writes NZCV, so it neither saves nor restores the program's
// flags (it runs on every pass): it compares with eor and branches with
// cbz/cbnz, not cmp and b.cond.
uint32_t eor(int xd, int xn, int xm) { return 0xca000000 | (xm << 16) | (xn << 5) | xd; }
uint32_t cbz(int xt) { return 0xb4000000 | xt; }
uint32_t cbnz(int xt) { return 0xb5000000 | xt; }
// Spill area below sp (no red zone on arm64 Linux: a signal frame would
// overwrite it just the same): x16, x17 at sp-32.
constexpr uint32_t kSpill = 0xa93e47f0;       // stp x16, x17, [sp, #-32]
constexpr uint32_t kUnspill = 0xa97e47f0;     // ldp x16, x17, [sp, #-32]
constexpr uint32_t kReadFlags = 0xd53b4211;   // mrs x17, nzcv
uint32_t ldur_sp(int xt, int off) { return 0xf8400000 | ((off & 0x1ff) << 12) | (kSp << 5) | xt; }

// *slot += 1 or -= 1, left in x16 (x17 clobbered).
void bump(Asm& a, uint64_t slot, bool decrement) {
  a.ldr_slot(kX16, slot);
  a.put((decrement ? 0xd1000400 : 0x91000400) | (kX16 << 5) | kX16);  // sub/add x16, x16, #1
  a.adr(kX17, slot);
  a.put(0xf9000000 | (kX17 << 5) | kX16);  // str x16, [x17]
}

// x16 = *slot; a miss unless it equals xr (x16 clobbered).
void compare(Asm& a, int xr, uint64_t slot, int miss) {
  a.ldr_slot(kX16, slot);
  a.put(eor(kX16, kX16, xr));
  a.rel_label(cbnz(kX16), miss, 19);
}

// The displaced instruction at the assembler's address, then back to site+4.
// A branch back to the site itself goes to `entry`: another pass, compared.
void relocate(Asm& a, const Site& s, uint64_t entry) {
  const uint64_t next = s.ip + 4, to = s.target == s.ip ? entry : s.target;
  switch (s.reloc) {
    case Reloc::kCopy: a.put(s.insn); break;
    case Reloc::kBranch: a.rel(b_op(), to, 26); return;
    case Reloc::kCall:
      a.ldr_value(30, next);
      a.rel(b_op(), to, 26);
      return;
    case Reloc::kCondition: {
      // The same test, taken to a `b target` two words on; else back.
      uint32_t keep = is_tb(s.insn) ? ~(0x3fffu << 5) : ~(0x7ffffu << 5);
      a.put((s.insn & keep) | (2u << 5));
      a.rel(b_op(), next, 26);
      a.rel(b_op(), to, 26);
      return;
    }
    case Reloc::kAddress: a.ldr_value(s.insn & 31, s.target); break;
    case Reloc::kLoadLit: {
      const int xt = s.insn & 31;
      const uint32_t opc = s.insn >> 30;  // 0: ldr w, 1: ldr x, 2: ldrsw
      a.ldr_value(xt, s.target);
      a.put((opc == 0 ? 0xb9400000 : opc == 1 ? 0xf9400000 : 0xb9800000) | (xt << 5) | xt);
      break;
    }
  }
  a.rel(b_op(), next, 26);
}

enum Label { kMiss, kForced, kMemoryMiss };

// x0-x3 under the spill of x16 and x17: stp/ldp x0, x1, [sp, #-64];
// stp/ldp x2, x3, [sp, #-48].
constexpr uint32_t kSpillLow[] = {0xa93c07e0, 0xa93d0fe2};
constexpr uint32_t kUnspillLow[] = {0xa97c07e0, 0xa97d0fe2};

// Each window hashed as rp_digest_words does (x16 the hash, x17 the address,
// x0 the words left, x1 the prime, x3 a word); a sum not recorded goes to
// kMemoryMiss, which reloads x0-x3.
void window_checks(Asm& a, const std::vector<Window>& windows) {
  for (uint32_t w : kSpillLow) a.put(w);
  a.ldr_value(1, RP_DIGEST_PRIME);
  for (const Window& w : windows) {
    a.ldr_value(kX16, RP_DIGEST_BASIS);
    a.ldr_value(kX17, w.start);
    a.put(0xd2800000 | ((w.words & 0xffff) << 5));  // movz x0, #words
    const uint64_t word = a.here();
    a.put(0xf8408623);  // ldr x3, [x17], #8
    a.put(0xca030210);  // eor x16, x16, x3
    a.put(0x9b017e10);  // mul x16, x16, x1
    a.put(0xca500210 | (RP_DIGEST_SHIFT << 10));  // eor x16, x16, x16, lsr #29
    a.put(0xd1000400);  // sub x0, x0, #1
    a.rel(cbnz(0), word, 19);
    a.ldr_value(3, w.sum);
    a.put(eor(kX16, kX16, 3));
    a.rel_label(cbnz(kX16), kMemoryMiss, 19);
  }
  for (uint32_t w : kUnspillLow) a.put(w);
}

}  // namespace

bool in_exclusive_sequence(const std::string& code, uint64_t code_addr, uint64_t ip) {
  const uint64_t at = ip - code_addr;
  for (uint64_t n = 1; n <= 16 && n * 4 <= at; n++) {
    uint32_t w = word_at(code, at - 4 * n);
    if (is_store_exclusive(w) || is_clrex(w)) break;
    if (is_load_exclusive(w)) return true;
  }
  for (uint64_t off = at; off + 4 <= code.size() && off < at + 64; off += 4) {
    uint32_t w = word_at(code, off);
    if (is_store_exclusive(w)) return true;
    if (is_load_exclusive(w) || ends_flow(w)) break;
  }
  return false;
}

std::optional<Site> plan_site(const std::string& code, uint64_t ip, std::string* why) {
  if (code.size() < kCodeBefore + 4) {
    *why = "cannot read the code around the site";
    return std::nullopt;
  }
  Site s;
  s.ip = ip;
  s.insn = word_at(code, kCodeBefore);
  // Capstone tells a defined instruction from an undefined or reserved word.
  csh h;
  if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK) {
    *why = "capstone cannot decode arm64";
    return std::nullopt;
  }
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(h, reinterpret_cast<const uint8_t*>(&s.insn), 4, ip, 1, &insn);
  const std::string name = n ? std::string(insn->mnemonic) : "";
  if (n) cs_free(insn, n);
  cs_close(&h);
  const uint32_t i = s.insn;
  auto refuse = [&](const std::string& reason) {
    *why = reason;
    return std::nullopt;
  };
  if (!n) return refuse("undecodable instruction at the site");
  if (is_exception(i) || (is_branch_reg(i) && ((i >> 21) & 0xf) != 0 && ((i >> 21) & 0xf) != 2 &&
                          ((i >> 21) & 0xf) != 8))
    return refuse("cannot relocate `" + name + "`");  // svc/brk/hlt, blr*, eret, drps
  if (in_exclusive_sequence(code, ip - kCodeBefore, ip))
    return refuse("the site is inside a load/store-exclusive sequence");
  if (is_adr(i)) {
    s.reloc = Reloc::kAddress, s.target = adr_target(i, ip);
  } else if (is_b(i)) {
    s.reloc = (i & 0x80000000) ? Reloc::kCall : Reloc::kBranch, s.target = imm26_target(i, ip);
  } else if (is_bcond(i) || is_cb(i)) {
    s.reloc = Reloc::kCondition, s.target = imm19_target(i, ip);
  } else if (is_tb(i)) {
    s.reloc = Reloc::kCondition, s.target = imm14_target(i, ip);
  } else if (is_ldr_lit(i)) {
    if ((i & (1u << 26)) || (i >> 30) == 3)
      return refuse("cannot relocate `" + name + "` (a SIMD or prefetch literal)");
    if ((i & 31) == 31) return refuse("cannot relocate a literal load into xzr");
    s.reloc = Reloc::kLoadLit, s.target = imm19_target(i, ip);
  }
  return s;
}

std::string stub_data(const uint64_t x[31], uint64_t sp, uint64_t pstate, uint64_t budget) {
  uint64_t w[kBudgetSlot + 1] = {};
  std::memcpy(w, x, 31 * 8);
  w[kSpSlot] = sp;
  w[kNzcvSlot] = pstate & 0xf0000000;  // what mrs nzcv reads
  w[kPassesSlot] = 0;
  w[kBudgetSlot] = budget;
  return std::string(reinterpret_cast<const char*>(w), sizeof w);
}

std::optional<Stub> build_stub(const Site& site, uint64_t entry, uint64_t data, std::string* why,
                               const std::vector<Window>& windows, uint64_t compare_first) {
  auto slot = [&](uint64_t i) { return data + 8 * i; };
  Asm a(entry);
  Stub st;
  a.put(kSpill);
  bump(a, slot(kPassesSlot), false);
  for (bool first : {true, false})
    for (int r = 0; r <= 30; r++) {
      if (r == kX16 || r == kX17 || ((compare_first >> r) & 1) != first) continue;
      compare(a, r, slot(r), kMiss);
    }
  // x16 and x17 from the spill area, sp and NZCV through x17.
  const std::pair<uint32_t, uint64_t> spilled[] = {{ldur_sp(kX17, -32), kX16},
                                                   {ldur_sp(kX17, -24), kX17},
                                                   {0x910003f1 /* mov x17, sp */, kSpSlot},
                                                   {kReadFlags, kNzcvSlot}};
  for (auto [load, i] : spilled) {
    a.put(load);
    compare(a, kX17, slot(i), kMiss);
  }
  for (const Window& w : windows)
    if (w.words < 1 || w.words > 16) {
      *why = "a memory window of " + std::to_string(w.words) + " words";
      return std::nullopt;
    }
  if (!windows.empty()) window_checks(a, windows);
  a.put(kUnspill);
  st.hit = a.here();
  a.put(kBrk);
  a.bind(kMemoryMiss);
  if (!windows.empty())
    for (uint32_t w : kUnspillLow) a.put(w);
  a.bind(kMiss);
  bump(a, slot(kBudgetSlot), true);
  a.rel_label(cbz(kX16), kForced, 19);
  a.put(kUnspill);
  st.body = a.here();
  relocate(a, site, entry);
  a.bind(kForced);
  a.put(kUnspill);
  st.forced = a.here();
  a.put(kBrk);
  auto code = a.finish();
  if (!code) {
    *why = "a relocated instruction cannot reach its target from the stub";
    return std::nullopt;
  }
  st.code = *code;
  const int64_t d = static_cast<int64_t>(entry - site.ip);
  if (!fits(d, 26)) {
    *why = "the stub is out of the branch's reach";
    return std::nullopt;
  }
  st.site_word = word_bytes(b_op() | (static_cast<uint32_t>(d / 4) & 0x3ffffff));
  return st;
}

}  // namespace rp::a64
