// Asynchronous points inside a rep-prefixed string instruction (x86_64).
// An interrupt or a switch may stop `rep movs/stos/cmps/scas/lods` between
// two iterations: rip is still the instruction's, rcx counts the iterations
// left and rsi/rdi have advanced. Replay reaches the instruction's start
// with the usual searches, accepting the registers the instruction advances
// when they are consistent with the recorded ones (rep_iterations), and then
// runs exactly the missing iterations on the CPU (signals.cc). docs/design.md
// "Preemption" says why this is exact, and what repe/repne change.
//
// Pure decoding and arithmetic: nothing here touches a process.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "arch.h"

namespace rp {

struct RepString {
  uint32_t length = 0;      // bytes of the instruction
  unsigned elem_size = 1;   // 1, 2, 4 or 8 bytes an iteration
  bool src = false;         // reads [rsi] and advances rsi (movs, cmps, lods)
  bool dst = false;         // uses [rdi] and advances rdi (movs, stos, cmps, scas)
  bool loads_rax = false;   // lods: each iteration overwrites al/ax/eax/rax
  bool compares = false;    // cmps, scas: set the arithmetic flags; repe/repne end early
  bool writes_memory = false;  // movs, stos: iterations run cannot be taken back
};

// The rep-prefixed string instruction at `ip` (`code`: its bytes, at least
// 16), nullopt for any other instruction (and for a 32-bit address size,
// which advances ecx/esi/edi: not handled).
std::optional<RepString> decode_rep_string(const std::string& code, uint64_t ip);

// The number of iterations a thread at the instruction's start (`now`) must
// run to have the registers `target` holds part-way through it; nullopt
// when no number does: a register the instruction does not advance differs,
// the direction flag differs, target's rcx is above now's, or rsi/rdi are
// not advanced by exactly that many elements. The arithmetic flags of
// cmps/scas, and rax of lods, are left to the check after running them.
std::optional<uint64_t> rep_iterations(const RepString& rep, const Regs& now, const Regs& target);

}  // namespace rp
