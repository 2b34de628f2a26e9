// The arm64 half of gdb_hw.h: brk #0 and the siginfo codes of arm64's debug
// exceptions. arm64 has no DR6: the si_code says what the trap was for
// (arch/arm64/kernel/debug-monitors.c, hw_breakpoint.c).
#if defined(__aarch64__)
#include "gdb_hw.h"

namespace rp {

// brk #0, little endian. The pc stays at it when it traps.
std::string_view gdb_break_insn() { return std::string_view("\x00\x00\x20\xd4", 4); }

TrapCause decode_trap(pid_t, const siginfo_t& si, const Regs& regs) {
  TrapCause c;
  switch (si.si_code) {
    case TRAP_BRKPT:
      c.kind = TrapCause::kBreakInsn;
      c.break_addr = regs.ip();
      break;
    case TRAP_TRACE:  // single step
      c.kind = TrapCause::kDebug;
      c.step = true;
      break;
    // TRAP_HWBKPT: the replay's own breakpoint (common/debugreg.h); gdb
    // gets no hardware watchpoints here (below).
    default: break;
  }
  return c;
}

// An arm64 watchpoint fires before the access and fires again when the
// thread is resumed there: the counting runs of reverse execution would
// have to step over each hit themselves (as gdb does live). Until they do,
// gdb gets no hardware watchpoints here and watches in software.
int hw_watch_slots() { return 0; }

bool arm_hw_watches(pid_t, const std::vector<HwWatch>& watches) { return watches.empty(); }

}  // namespace rp
#endif
