// Regs::as_at_syscall_stop (common/arch.h): registers read at a signal stop
// compared with a syscall stop's, as the ptrace recorder's still_at_exit does.
#include <gtest/gtest.h>

#include "arch.h"

namespace rp {
namespace {

#if defined(__x86_64__)

Regs exit_stop_of_read() {
  Regs r;
  r.raw.rip = 0x7ffff7e972ad;  // after the syscall instruction
  r.raw.rax = 0;               // read's result
  r.raw.orig_rax = 0;          // read's number
  r.raw.rcx = r.raw.rip;       // as `syscall` leaves them
  r.raw.r11 = 0x246;
  r.raw.eflags = 0x246;
  r.raw.rsp = 0x7fffffffd000;
  return r;
}

// Seen in a recording of a bash script (pyenv's shim): SIGCHLD's IPI took
// the thread as it returned from read, before its first instruction; the
// kernel entered by an interrupt keeps -1 as the syscall number. Nothing ran:
// the signal is at the call's return.
TEST(Regs, AnInterruptBeforeTheFirstInstructionLeavesTheExitStopsRegisters) {
  const Regs exit = exit_stop_of_read();
  Regs now = exit;
  now.raw.orig_rax = ~0ULL;
  EXPECT_TRUE(now.as_at_syscall_stop(exit) == exit);
}

TEST(Regs, OneInstructionLaterTheyDiffer) {
  const Regs exit = exit_stop_of_read();
  Regs now = exit;
  now.raw.orig_rax = ~0ULL;
  now.raw.rip += 6;  // the cmp after the syscall ran
  EXPECT_FALSE(now.as_at_syscall_stop(exit) == exit);
  now = exit;
  now.raw.eflags = 0x202;  // ... and set the flags
  EXPECT_FALSE(now.as_at_syscall_stop(exit) == exit);
}

#endif

}  // namespace
}  // namespace rp
