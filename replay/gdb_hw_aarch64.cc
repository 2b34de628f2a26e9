// The arm64 half of gdb_hw.h: brk #0, the siginfo codes of arm64's debug
// exceptions and the watch registers (NT_ARM_HW_WATCH). arm64 has no DR6:
// the si_code says what the trap was for (arch/arm64/kernel/debug-monitors.c,
// hw_breakpoint.c), and a watchpoint's si_addr which data address it hit.
#include "gdb_hw.h"

namespace rp {

// Plain arithmetic, built on every host so that the unit tests check it.
std::optional<Arm64WatchReg> arm64_watch_reg(const HwWatch& w) {
  uint64_t off = w.addr & 7;
  if (w.len < 1 || w.len > 8 || off + static_cast<uint64_t>(w.len) > 8) return std::nullopt;
  uint32_t bas = ((1u << w.len) - 1) << off;
  uint32_t lsc = w.write_only ? 2 : 3;  // store; load and store
  constexpr uint32_t kEnable = 1, kEl0 = 2u << 1;
  return Arm64WatchReg{w.addr & ~uint64_t{7}, kEnable | kEl0 | lsc << 3 | bas << 5};
}

// The kernel matches a hit the same way (the nearest watchpoint): the
// reported address may be the start of a wider access (ldp, st4, dc zva)
// that only overlaps the watched bytes.
int arm64_watch_hit(const std::vector<Arm64WatchReg>& regs, uint64_t addr) {
  int best = -1;
  uint64_t best_dist = kArm64MaxAccess;
  for (size_t i = 0; i < regs.size(); i++) {
    uint32_t bas = (regs[i].ctrl >> 5) & 0xff;
    if (!(regs[i].ctrl & 1) || !bas) continue;
    uint64_t lo = regs[i].addr + static_cast<uint64_t>(__builtin_ctz(bas));
    uint64_t hi = regs[i].addr + static_cast<uint64_t>(31 - __builtin_clz(bas));
    uint64_t dist = addr < lo ? lo - addr : addr > hi ? addr - hi : 0;
    if (dist < best_dist) {
      best_dist = dist;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace rp

#if defined(__aarch64__)
#include <asm/ptrace.h>  // user_hwdebug_state
#include <elf.h>         // NT_ARM_HW_WATCH
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <algorithm>

#include "debugreg.h"

namespace rp {
namespace {

// A thread's watch registers (count: the low byte of dbg_info).
bool read_watch_regs(pid_t tid, user_hwdebug_state& s) {
  s = {};
  iovec iov{&s, sizeof s};
  return ptrace(PTRACE_GETREGSET, tid, NT_ARM_HW_WATCH, &iov) == 0;
}

}  // namespace

// brk #0, little endian. The pc stays at it when it traps.
std::string_view gdb_break_insn() { return std::string_view("\x00\x00\x20\xd4", 4); }

TrapCause decode_trap(pid_t tid, const siginfo_t& si, const Regs& regs) {
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
    case TRAP_HWBKPT: {  // a watchpoint (the replay's own breakpoints never get here)
      user_hwdebug_state s;
      if (!read_watch_regs(tid, s)) break;
      std::vector<Arm64WatchReg> armed;
      for (unsigned i = 0; i < (s.dbg_info & 0xff) && i < 16; i++)
        armed.push_back(Arm64WatchReg{s.dbg_regs[i].addr, s.dbg_regs[i].ctrl});
      int slot = arm64_watch_hit(armed, reinterpret_cast<uint64_t>(si.si_addr));
      if (slot < 0) break;
      c.kind = TrapCause::kDebug;
      c.watch_slots = 1u << slot;
      break;
    }
    default: break;
  }
  return c;
}

// The same for every thread and CPU (the kernel's core_num_wrps).
int hw_watch_slots(pid_t tid) {
  if (!hardware_breakpoints_fire()) return 0;  // as on x86_64 (gdb_hw_x86_64.cc)
  static int slots = -1;
  user_hwdebug_state s;
  if (slots < 0 && tid > 0 && read_watch_regs(tid, s)) slots = std::min(s.dbg_info & 0xff, 16u);
  return slots < 0 ? 0 : slots;
}

bool arm_hw_watches(pid_t tid, const std::vector<HwWatch>& watches) {
  int n = hw_watch_slots(tid);
  if (watches.size() > static_cast<size_t>(n)) return false;
  if (n == 0) return true;
  user_hwdebug_state s{};
  for (size_t i = 0; i < watches.size(); i++) {
    auto reg = arm64_watch_reg(watches[i]);
    if (!reg) return false;
    s.dbg_regs[i].addr = reg->addr;
    s.dbg_regs[i].ctrl = reg->ctrl;
  }
  iovec iov{&s, offsetof(user_hwdebug_state, dbg_regs) + static_cast<size_t>(n) * sizeof s.dbg_regs[0]};
  return ptrace(PTRACE_SETREGSET, tid, NT_ARM_HW_WATCH, &iov) == 0;
}

}  // namespace rp
#endif
