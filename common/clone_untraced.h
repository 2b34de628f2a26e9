// CLONE_UNTRACED: a child made with it would escape rp's ptrace (it gets no
// fork event and is not auto-attached), so it would be neither recorded nor
// replayed. rp clears the flag in the thread's registers at the clone's
// entry, in recording and in replay alike; the only visible effect of the
// flag is that no tracer follows the child, which the program cannot observe
// without ptracing it itself. The trace keeps the flags as the program passed
// them (ptrace backend) or as the kernel ran them (bpf/kmod: the seccomp stop
// that clears the flag comes before the kernel's syscall probe), so replay
// compares the flags without it.
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace rp {

// At a syscall entry (or seccomp) stop of `tid` in clone (nr): clears
// CLONE_UNTRACED from the flags argument. Returns true if it was set.
bool clear_clone_untraced(pid_t tid, int64_t nr);

// The value of argument `i` of syscall `nr` that replay compares with the trace.
uint64_t compared_arg(int64_t nr, int i, uint64_t value);

// The SECCOMP_RET_DATA of the filter rule that stops a CLONE_UNTRACED clone
// for a kernel backend's ptrace supervisor (PTRACE_EVENT_SECCOMP).
constexpr uint16_t kUntracedCloneTrap = 0x7270;

}  // namespace rp
