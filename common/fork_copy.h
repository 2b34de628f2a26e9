// Where a fork copied its process's memory, in the recorded order (trace
// format 5). The child gets the parent's memory as the kernel copied it
// during the call; another thread of the parent that ran meanwhile (the
// kernel backends let it run on the recording's CPU while the forking thread
// is in the kernel) wrote before or after that copy. The eBPF program and the
// module number the copy's end (the end of dup_mmap, else sched_process_fork:
// rp.bpf.c, copy_done; kmod/rp_probe.c, rp_copy_end); replay makes the real
// fork there, after the other threads' events numbered before it, instead of
// at the call's entry (docs/design.md, Threads: "A fork while other threads
// run").
#pragma once
#include <sched.h>  // CLONE_VM, CLONE_VFORK
#include <sys/syscall.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rp_abi.h"
#include "trace.h"

namespace rp {

// A syscall event's extra: this prefix, then the copy's seq in decimal.
inline constexpr std::string_view kForkCopyPrefix = "forkcopy:";

// Whether a call with these number and first argument copies the caller's
// memory for a new process: fork, or clone without CLONE_VM (whose child
// shares it) or CLONE_VFORK.
// The kernel producers' numbers of the calls that may copy (rp_call_forks).
static_assert(RP_NR_CLONE == SYS_clone && RP_NR_CLONE3 == SYS_clone3);
#if defined(SYS_fork) || defined(RP_NR_FORK)
static_assert(RP_NR_FORK == SYS_fork);
#endif
inline bool fork_copies_memory(int64_t nr, uint64_t flags) {
#if defined(SYS_fork)
  if (nr == SYS_fork) return true;
#endif
  return nr == SYS_clone && !(flags & (CLONE_VM | CLONE_VFORK));
}

inline std::string fork_copy_extra(uint64_t seq) {
  return std::string(kForkCopyPrefix) + std::to_string(seq);
}

// The copy's seq a fork event's extra holds (nullopt: none, or not a number).
inline std::optional<uint64_t> fork_copy_seq(const Event& e) {
  std::string_view x = e.extra;
  if (!x.starts_with(kForkCopyPrefix)) return std::nullopt;
  x.remove_prefix(kForkCopyPrefix.size());
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), seq);
  if (ec != std::errc() || end != x.data() + x.size() || x.empty()) return std::nullopt;
  return seq;
}

}  // namespace rp
