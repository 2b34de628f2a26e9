#include "debugreg.h"

#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

namespace rp {

#if defined(__x86_64__)

static long dr_offset(int i) { return static_cast<long>(offsetof(struct user, u_debugreg) + i * 8); }

// DR7 bits of slot 0 (L0, G0, RW0, LEN0); slots 1-3 hold a debugger's
// watchpoints (replay/gdb_target.cc) and are left as they are.
constexpr unsigned long kSlot0Bits = 0xf0003;

static unsigned long dr7_others(pid_t tid) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, tid, dr_offset(7), nullptr);
  return errno ? 0 : static_cast<unsigned long>(v) & ~kSlot0Bits;
}

bool set_exec_breakpoint(pid_t tid, uint64_t addr) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(0), addr) != 0) return false;
  // DR7: local enable of slot 0; RW0 = 00 (execute) and LEN0 = 00 (1 byte).
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7_others(tid) | 1UL) == 0;
}

bool clear_exec_breakpoint(pid_t tid) {
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7_others(tid)) == 0;
}

#else

// arm64 would use NT_ARM_HW_BREAK through PTRACE_SETREGSET; not done yet.
bool set_exec_breakpoint(pid_t, uint64_t) { return false; }
bool clear_exec_breakpoint(pid_t) { return false; }

#endif

}  // namespace rp
