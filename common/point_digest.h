// A switch point's memory digest (struct rp_point_digest, the rules in
// rp_digest_rules.h) taken from a stopped thread: by the ptrace recorder at
// its preemption, by replay at a pass with the recorded registers.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>

#include "rp_abi.h"

namespace rp {

// The digest of thread tid's memory for a raw register set of nregs words
// (PTRACE_GETREGS / NT_PRSTATUS order). A window it cannot read is left out.
rp_point_digest read_point_digest(pid_t tid, const uint64_t* regs, size_t nregs);

// The same for registers read from the thread (Regs, arch.h).
template <class RegSet>
rp_point_digest point_digest_at(pid_t tid, const RegSet& regs) {
  uint64_t words[sizeof regs.raw / 8];
  __builtin_memcpy(words, &regs.raw, sizeof words);
  return read_point_digest(tid, words, sizeof words / 8);
}

// Whether tid's memory at these registers has the recorded digest d: every
// window d holds and `compared(start, len)` accepts hashes to its recorded
// sum (one it cannot read now does not). Windows compared false are skipped.
bool point_digest_matches(pid_t tid, const rp_point_digest& d, const uint64_t* regs,
                          size_t nregs, const std::function<bool(uint64_t, uint32_t)>& compared);

}  // namespace rp
