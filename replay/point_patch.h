// A conditional trap patched at a recorded asynchronous point. x86_64: the
// recorded instruction jumps to a trampoline that counts the pass, compares
// the general registers with the recorded ones and traps (int3) only when
// they are equal; otherwise it runs relocated copies of the instructions the
// jump replaced and jumps back. A search then costs one ptrace stop at the
// match instead of one per pass (replay/point_search.cc). arm64: the same
// with a `b` to a stub (point_patch_aarch64.h), kept in `PatchSite::arm`.
//
// Pure code generation: nothing here touches a process.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arch.h"
#include "point_digest.h"
#include "point_patch_aarch64.h"
#include "point_rep.h"

namespace rp {

// The instructions at the site that the 5-byte jump covers, and the range
// the jump's rel32 may take. Every instruction start inside the jump must
// land on an int3 (a branch into the middle of the patched bytes then traps
// instead of running garbage): those bytes of rel32 are fixed to 0xcc.
struct PatchSite {
  struct Insn {
    // kCall (call rel32) and kCallIndirect (call through a register or a
    // rip-relative pointer) are relocated as a push of the original return
    // address and a jump: the callee sees the stack it would have seen.
    // kSyscall: the syscall a replay-agent site replaces (only as the first).
    enum Kind {
      kPlain, kRipRelative, kJump, kCondJump, kCall, kCallIndirect, kSyscall,
      kLoop,   // loop rel8: rcx decremented, taken while it is not 0
      kJrcxz,  // jrcxz rel8: taken when rcx is 0
    } kind = kPlain;
    uint32_t offset = 0;          // from the site
    std::string bytes;
    uint8_t disp_offset = 0;      // kRipRelative, kCallIndirect: where the disp32 is (0: none)
    uint8_t modrm_offset = 0;     // kCallIndirect: the ModRM byte (its /2 becomes /4, jmp)
    int cond = 0;                 // kCondJump: the condition code (0-15)
    uint64_t target = 0;          // kJump/kCondJump/kLoop/kJrcxz: absolute target
  };
  uint64_t ip = 0;
  std::vector<Insn> insns;
  uint32_t length = 0;          // bytes replaced (>= 5)
  int64_t rel_lo = 0, rel_hi = 0;  // allowed rel32 of the jump (inclusive), int3 filler
  int fixed_from = 4;  // the rel32's bytes from this one up are filler (4: none)
  // Set (set_rep_compare) when the site is a rep-prefixed string instruction
  // whose recorded point may lie part-way through it: the trampoline then
  // stops at its start when rcx is at least the recorded one and rsi/rdi
  // are that many elements before the recorded ones (rsi + rcx * size is the
  // same at every iteration), instead of requiring them equal; the arithmetic
  // flags of cmps/scas and rax of lods are not compared. replay checks the
  // stop exactly (rep_iterations) before running the iterations.
  std::optional<RepString> rep;
  bool rep_backward = false;  // the recorded direction flag: rsi/rdi walk down
  a64::Site arm;  // arm64: the one instruction a `b` replaces, and how it moves
};

// The code plan_patch_site reads: from ip - kPatchCodeBefore (arm64 looks
// back for a load-exclusive) to kPatchCodeAfter bytes after ip.
#if defined(__x86_64__)
constexpr uint64_t kPatchCodeBefore = 0, kPatchCodeAfter = 32;
#else
constexpr uint64_t kPatchCodeBefore = a64::kCodeBefore, kPatchCodeAfter = a64::kCodeAfter;
#endif

// Decodes the instructions at `ip` (`code` holds the bytes from
// ip - kPatchCodeBefore, at least 32 from ip).
// Refuses (nullopt, *why says why) instructions whose effect depends on
// where they run and cannot be relocated: calls through memory addressed
// from rsp, a call that does not end the patched bytes (the callee would
// return into them), loope/loopne and 32-bit-address loop/jrcxz, syscalls and traps.
// syscall_first: the first instruction must be a `syscall` that the patch
// replaces (the replay agent's sites, replay/agent/); it is kept as
// kSyscall and never relocated.
std::optional<PatchSite> plan_patch_site(const std::string& code, uint64_t ip, std::string* why,
                                         bool syscall_first = false);

// Copies of site.insns[first..] made to run at `at`, followed by a jump back
// to the end of the site (the one relocation both patch kinds use). A branch
// back to site.ip goes to `loop_to`; (*copies)[i] is where insn i went.
std::optional<std::string> relocate_tail(const PatchSite& site, size_t first, uint64_t at,
                                         uint64_t loop_to, std::vector<uint64_t>* copies,
                                         std::string* why);

// Bytes the relocated copy of `in` takes (rel32 branches, a call's push
// added): known before the targets are.
uint32_t relocated_size(const PatchSite::Insn& in);

// Makes `site` (whose first instruction is `rep`) compare as above for a
// point with registers `target`.
void set_rep_compare(PatchSite& site, const RepString& rep, const Regs& target);

// Where the trampoline's mapping goes: kMapBytes at a page-aligned address
// inside one of `gaps` (free [start, end) ranges of the address space), with
// an entry point the jump can reach. nullopt when no gap fits.
// The filler of bytes where an instruction starts inside the patched ones
// is int3 (0xcc) where the jump can reach a free place with it, else a byte
// that is an invalid opcode in 64-bit mode (#UD, SIGILL at its address):
// those below 0x80 let the jump go forward, which a site in the low 2 GiB
// (a non-PIE program's text) needs.
constexpr uint64_t kPatchMapBytes = 3 * 4096;
// The bytes under the stack pointer a trampoline spills flags and registers
// into on every pass: [sp - kPatchSpillLow, sp - kPatchSpillHigh). None on
// x86_64 (its data block holds them, rip-relative); arm64 has no red zone
// (x16 and x17 at sp - 32, x0-x3 under them when the stub checks memory).
#if defined(__x86_64__)
constexpr uint64_t kPatchSpillLow = 0, kPatchSpillHigh = 0;
#else
constexpr uint64_t kPatchSpillLow = 64, kPatchSpillHigh = 0;
#endif
// The fillers in order of preference: int3, then the invalid opcodes.
extern const std::vector<uint8_t> kPatchFillers;
// Where an entry point the site's jump reaches with `filler` in its fixed
// bytes may be, [lo, hi] (inclusive); nullopt when that is below address 0.
// Without fixed bytes every filler gives the same (wide) range.
std::optional<std::pair<uint64_t, uint64_t>> jump_entries(const PatchSite& site, uint8_t filler);
struct PatchPlace {
  uint64_t map = 0, entry = 0;
  uint8_t filler = 0xcc;
};
std::optional<PatchPlace> place_trampoline(const PatchSite& site,
                                           const std::vector<std::pair<uint64_t, uint64_t>>& gaps);

// The generated code and its landmarks. A thread stopped by one of the
// traps reports ip = landmark + kPatchTrapAfter (past an int3; at a brk).
struct Trampoline {
  std::string site_bytes;  // written at site.ip (jump + int3 filler)
  std::string code;        // written at place.entry
  uint64_t data = 0;       // the data block (recorded registers, counters)
  uint64_t hit = 0;        // int3 when the registers match; the stack and flags are the program's
  uint64_t forced = 0;     // int3 when the pass budget ran out (resume at `body`)
  uint64_t body = 0;       // the relocated instructions (resume here after a false hit)
  uint8_t filler = 0xcc;   // PatchPlace's: 0xcc stops with SIGTRAP after it, others SIGILL at it
  // Instruction starts inside the patched bytes (the filler there), and
  // their relocated copies.
  std::vector<std::pair<uint64_t, uint64_t>> interior;
};
// `windows`: the memory a pass with the recorded registers must hold too
// (the point's digest windows, replay/point_unique.cc), hashed in the
// trampoline so a loop whose registers repeat stops only at passes whose
// memory matches (x86_64: emit_window_checks; arm64: a64::build_stub).
// `compare_first` (differing_registers): the registers compared before the
// others, those a loop changes on every pass (its counter), so that a pass
// that is not the point costs one compare, not one per register that merely
// holds the same value again.
std::optional<Trampoline> build_trampoline(const PatchSite& site, const PatchPlace& place,
                                           std::string* why,
                                           const std::vector<DigestWindow>& windows = {},
                                           uint64_t compare_first = 0);
// The general registers that differ between a and b, as build_trampoline's
// compare_first: bit n for x86_64's register number n (rsp is 4), arm64's xn
// (sp is not among them: the stub compares it with the spilled registers).
uint64_t differing_registers(const Regs& a, const Regs& b);

// The data block for a search: the recorded registers and a pass budget;
// passes counted so far are read back with read_passes / budget reset with
// budget_bytes at their offsets. A site with a rep compare (`rep`, as in
// its PatchSite) compares rsi/rdi through rsi/rdi + rcx * size.
std::string patch_data(const Regs& target, uint64_t budget, const RepString* rep = nullptr);
#if defined(__x86_64__)
constexpr uint64_t kPatchTrapAfter = 1;
constexpr uint64_t kPatchPassesOffset = 17 * 8;
constexpr uint64_t kPatchBudgetOffset = 18 * 8;
#else
constexpr uint64_t kPatchTrapAfter = 0;
constexpr uint64_t kPatchPassesOffset = a64::kPassesSlot * 8;
constexpr uint64_t kPatchBudgetOffset = a64::kBudgetSlot * 8;
#endif

}  // namespace rp
