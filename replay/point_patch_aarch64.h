// The conditional trap of point_patch.h for arm64 (A64): the recorded
// instruction becomes a `b` to a stub that counts the pass, compares x0-x30,
// sp and NZCV with the recorded values and stops (brk) only when they are
// equal; otherwise it runs a relocated copy of the instruction and branches
// back. Pure code generation on plain integers, so it builds and is unit
// tested on any host; point_patch.cc adapts it to Regs on arm64.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rp::a64 {

// How the displaced instruction runs in the stub.
enum class Reloc {
  kCopy,       // position independent: copied as is
  kBranch,     // b: b to the same target
  kCall,       // bl: x30 = site + 4, then b
  kCondition,  // b.cond, cbz/cbnz, tbz/tbnz: the same test over two branches
  kAddress,    // adr/adrp: the address loaded from a literal
  kLoadLit,    // ldr w/x, ldrsw (literal): address from a literal, then the load
};

struct Site {
  uint64_t ip = 0;
  uint32_t insn = 0;
  Reloc reloc = Reloc::kCopy;
  uint64_t target = 0;  // branch target, adr/adrp result or literal address
};

// Bytes of code read before and from the site (the exclusive-monitor check
// looks 16 instructions each way).
constexpr uint64_t kCodeBefore = 64, kCodeAfter = 64;

// Plans the patch of the instruction at `ip`; `code` holds the bytes from
// ip - kCodeBefore (at least through ip + 4; more lets the exclusive check
// look ahead). Refuses (nullopt, *why) system and exception instructions
// (svc, brk, ...), indirect calls (blr: the return address would be the
// stub's), SIMD and prefetch literal loads, undecodable words, and sites
// inside a load/store-exclusive sequence: see in_exclusive_sequence.
std::optional<Site> plan_site(const std::string& code, uint64_t ip, std::string* why);

// Whether the instruction at ip lies between a load-exclusive and its
// store-exclusive: looking back from ip (up to 16 instructions) a
// load-exclusive comes before any store-exclusive or clrex, or looking
// forward from ip (ip included, up to 16, until an unconditional branch or
// a load-exclusive) a store-exclusive comes first. The stub's stores (its
// spill below sp, the pass counter) would clear the exclusive monitor, and
// the sequence would retry forever.
bool in_exclusive_sequence(const std::string& code, uint64_t code_addr, uint64_t ip);

// Data block layout: x0-x30, sp, NZCV, passes, budget (8 bytes each).
constexpr uint64_t kSpSlot = 31, kNzcvSlot = 32, kPassesSlot = 33, kBudgetSlot = 34;
std::string stub_data(const uint64_t x[31], uint64_t sp, uint64_t pstate, uint64_t budget);

// Memory a pass with the recorded registers must hold too: `words` 8-byte
// words from `start` hash (rp_digest_words, common/rp_digest_rules.h) to `sum`.
struct Window {
  uint64_t start = 0;
  uint32_t words = 0;  // 1 .. 16
  uint64_t sum = 0;
};

// A `b` at `from` reaches [from - 128 MiB, from + 128 MiB - 4].
constexpr int64_t kBranchReach = int64_t{1} << 27;

struct Stub {
  std::string site_word;  // `b entry`, written at the site
  std::string code;       // written at entry
  uint64_t hit = 0;       // brk when the registers match (x16, x17 restored)
  uint64_t forced = 0;    // brk when the pass budget ran out (resume at body)
  uint64_t body = 0;      // the relocated instruction (resume here after a false hit)
};
// `data`: the data block's address, within 1 MiB of the code (ldr literal).
// With `windows`, a pass whose registers match stops only if every window
// holds its sum too (x0-x3 kept under the other spills meanwhile).
// `compare_first`: bit n set, xn is compared before the registers not set.
std::optional<Stub> build_stub(const Site& site, uint64_t entry, uint64_t data, std::string* why,
                               const std::vector<Window>& windows = {},
                               uint64_t compare_first = 0);

}  // namespace rp::a64
