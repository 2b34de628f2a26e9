#include "debugreg.h"

#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/uio.h>

#if defined(__aarch64__)
#include <asm/ptrace.h>  // user_hwdebug_state
#include <elf.h>         // NT_ARM_HW_BREAK
#endif

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

#elif defined(__aarch64__)

// Slot 0 of the breakpoint registers (NT_ARM_HW_BREAK); a write shorter than
// the whole set changes only the slots it covers. The control word is the
// kernel's ptrace encoding: enable (bit 0), privilege EL0 (bits 1-2 = 2),
// type execute (bits 3-4 = 0), byte-address-select 0xf (bits 5-12: the whole
// 4-byte A64 instruction).
static bool write_slot0(pid_t tid, uint64_t addr, uint32_t ctrl) {
  user_hwdebug_state regs{};
  regs.dbg_regs[0].addr = addr;
  regs.dbg_regs[0].ctrl = ctrl;
  iovec iov{&regs, offsetof(user_hwdebug_state, dbg_regs) + sizeof regs.dbg_regs[0]};
  return ptrace(PTRACE_SETREGSET, tid, NT_ARM_HW_BREAK, &iov) == 0;
}

bool set_exec_breakpoint(pid_t tid, uint64_t addr) {
  constexpr uint32_t kExecEl0Word = 1u | 2u << 1 | 0xfu << 5;
  return write_slot0(tid, addr, kExecEl0Word);
}

bool clear_exec_breakpoint(pid_t tid) { return write_slot0(tid, 0, 0); }

#endif

}  // namespace rp
