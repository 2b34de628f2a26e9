// The x86-64 half of gdb_hw.h: int3, DR6 and the debug registers DR1-DR3
// (DR0 is the replay's own, common/debugreg.h).
#if defined(__x86_64__)
#include "gdb_hw.h"

#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>

#include "debugreg.h"

namespace rp {
namespace {

constexpr uint64_t kDr6Step = 0x4000, kDr6Watch = 0xe;  // BS; B1-B3
constexpr int kFirstWatchReg = 1;

long dr_offset(int i) { return static_cast<long>(offsetof(struct user, u_debugreg) + i * 8); }

uint64_t read_dr6(pid_t tid) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, tid, dr_offset(6), nullptr);
  return errno ? 0 : static_cast<uint64_t>(v);
}

}  // namespace

std::string_view gdb_break_insn() { return "\xcc"; }

TrapCause decode_trap(pid_t tid, const siginfo_t& si, const Regs& regs) {
  TrapCause c;
  if (si.si_code <= 0) return c;  // sent by a process
  if (si.si_code == SI_KERNEL) {  // int3: the pc is past it
    c.kind = TrapCause::kBreakInsn;
    c.break_addr = regs.ip() - 1;
    return c;
  }
  // The kernel rewrites DR6 at every debug exception: no stale bits to clear.
  uint64_t dr6 = read_dr6(tid);
  c.kind = TrapCause::kDebug;
  c.step = dr6 & kDr6Step;
  c.watch_slots = static_cast<uint32_t>((dr6 & kDr6Watch) >> kFirstWatchReg);
  return c;
}

// None where the debug registers do not raise their traps (common/debugreg.h):
// gdb then watches by single-stepping instead of never stopping.
int hw_watch_slots(pid_t) { return hardware_breakpoints_fire() ? 3 : 0; }

bool arm_hw_watches(pid_t tid, const std::vector<HwWatch>& watches) {
  constexpr unsigned long kOurBits = 0xfff000fc;  // L1-3, G1-3, RW/LEN 1-3
  if (watches.size() > static_cast<size_t>(hw_watch_slots(tid))) return false;
  errno = 0;
  long peeked = ptrace(PTRACE_PEEKUSER, tid, dr_offset(7), nullptr);
  unsigned long dr7 = static_cast<unsigned long>(peeked);
  if (errno) return false;
  dr7 &= ~kOurBits;
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7) != 0) return false;
  for (size_t i = 0; i < watches.size(); i++) {
    int reg = static_cast<int>(i) + kFirstWatchReg;
    const HwWatch& w = watches[i];
    if (ptrace(PTRACE_POKEUSER, tid, dr_offset(reg), w.addr) != 0) return false;
    unsigned long rw = w.write_only ? 1 : 3;  // write / read-write
    unsigned long len = w.len == 1 ? 0 : w.len == 2 ? 1 : w.len == 8 ? 2 : 3;
    dr7 |= 1UL << (2 * reg);
    dr7 |= (rw | len << 2) << (16 + 4 * reg);
  }
  return watches.empty() || ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7) == 0;
}

}  // namespace rp
#endif
