// A switch point's memory digest (struct rp_point_digest, the rules in
// rp_digest_rules.h) taken from a stopped thread: by the ptrace recorder at
// its preemption, by replay at a pass with the recorded registers.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "arch.h"
#include "rp_abi.h"

namespace rp {

// The digest of thread tid's memory at these registers. A window it cannot
// read is left out.
rp_point_digest read_point_digest(pid_t tid, const Regs& regs);

// One window of a digest at given registers: its words from `start`, and the
// sum the digest recorded for them (narrow: a version 3 trace's 32-bit fold).
struct DigestWindow {
  uint64_t start = 0;
  uint32_t words = 0;
  uint64_t sum = 0;
  bool narrow = false;
};

// The windows d holds at these registers that `compared(start, len)` accepts.
std::vector<DigestWindow> point_digest_windows(
    const rp_point_digest& d, const Regs& regs,
    const std::function<bool(uint64_t, uint32_t)>& compared);

// Whether tid's memory has window w's recorded sum (not if unreadable).
bool digest_window_holds(pid_t tid, const DigestWindow& w);

// Whether tid's memory at these registers has the recorded digest d: every
// window d holds and `compared(start, len)` accepts hashes to its recorded
// sum (one it cannot read now does not). Windows compared false are skipped.
bool point_digest_matches(pid_t tid, const rp_point_digest& d, const Regs& regs,
                          const std::function<bool(uint64_t, uint32_t)>& compared);

}  // namespace rp
