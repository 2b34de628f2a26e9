// A traced thread is sent the signals it ignores too (the kernel queues them
// for the tracer), and one of them wakes a blocking call that returns EINTR
// on any pending signal (epoll_wait, rt_sigtimedwait, semtimedop...), where
// the program, untraced, would have gone on waiting: a recording artefact
// the program would then see and act on. The recorder restarts such a call
// at the signal's delivery stop, as the kernel restarts a call that returned
// ERESTARTNOHAND when no handler runs, and records the signal with
// at_syscall = kAtSyscallRestarted so that replay restarts it too.
#pragma once
#include <sys/types.h>

#include <cstdint>

#include "arch.h"

namespace rp {

// Whether `sig`, delivered to tid at the return of its call `nr` (registers
// `regs`), is ignored and is what made that call return EINTR: no other
// signal tid could take is pending, or every one is ignored too.
bool interrupted_only_by_ignored(pid_t tid, int64_t nr, int sig, const Regs& regs);

// `regs` (at a call's return) set back over the syscall instruction with the
// call's number (and, on arm64, its first argument `arg0`, which x0 lost to
// the result), as the kernel's signal code rewinds a call it restarts.
Regs rewound_call(Regs regs, uint64_t arg0);

// Sets tid's registers `regs` to rewound_call's, so that it makes the call
// again when resumed. False if the registers could not be written.
bool rewind_call(pid_t tid, Regs regs, uint64_t arg0);

}  // namespace rp
