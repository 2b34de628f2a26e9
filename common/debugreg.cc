#include "debugreg.h"

#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

namespace rp {

#if defined(__x86_64__)

static long dr_offset(int i) { return static_cast<long>(offsetof(struct user, u_debugreg) + i * 8); }

bool set_exec_breakpoint(pid_t tid, uint64_t addr) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(0), addr) != 0) return false;
  // DR7: local enable of slot 0; RW0 = 00 (execute) and LEN0 = 00 (1 byte).
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), 1UL) == 0;
}

bool clear_exec_breakpoint(pid_t tid) {
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), 0UL) == 0;
}

#else

// arm64 would use NT_ARM_HW_BREAK through PTRACE_SETREGSET; not done yet.
bool set_exec_breakpoint(pid_t, uint64_t) { return false; }
bool clear_exec_breakpoint(pid_t) { return false; }

#endif

}  // namespace rp
