// What the processor gives a debugger of the replay, one file per
// architecture (gdb_hw_x86_64.cc, gdb_hw_aarch64.cc): the software breakpoint
// instruction, what a SIGTRAP was for, and the watchpoint registers.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "arch.h"

namespace rp {

// x86_64: int3 (cc); arm64: brk #0 (d4200000), which gdb inserts with Z0 kind 4.
std::string_view gdb_break_insn();

struct TrapCause {
  enum Kind {
    kOther,      // not a debug trap (e.g. a SIGTRAP the program sent itself)
    kBreakInsn,  // a software breakpoint instruction ran
    kDebug,      // a debug exception: a single step and/or a watchpoint
  } kind = kOther;
  uint64_t break_addr = 0;  // kBreakInsn: the instruction's address
  bool step = false;        // kDebug: a single step finished
  uint32_t watch_slots = 0;  // kDebug: bit i = watch slot i fired
};
// A stopped thread's SIGTRAP (its siginfo and registers) decoded.
TrapCause decode_trap(pid_t tid, const siginfo_t& si, const Regs& regs);

// One watchpoint register: an aligned 1, 2, 4 or 8-byte range.
struct HwWatch {
  uint64_t addr;
  int len;
  bool write_only;  // false: reads too
};
// How many watch registers a debugger may use (0: none, gdb then watches
// in software by single-stepping); `tid`: any thread of the replay.
int hw_watch_slots(pid_t tid);
// Programs slots 0..n-1 with `watches` and clears the rest of a thread's
// watch registers (all of them if `watches` is empty).
bool arm_hw_watches(pid_t tid, const std::vector<HwWatch>& watches);

// x86_64 reports a watchpoint after the access. arm64 stops before it, the
// pc on the accessing instruction, and stops there again when resumed;
// gdb's aarch64 knows ("non-steppable" watchpoints): it steps over a
// reported hit itself, forwards or backwards, with its watchpoints removed.
#if defined(__aarch64__)
constexpr bool kWatchStopsBeforeAccess = true;
#else
constexpr bool kWatchStopsBeforeAccess = false;
#endif

// arm64's watch register encoding, plain arithmetic (tested on any host):
// the doubleword-aligned address and the control word of the kernel's
// ptrace (NT_ARM_HW_WATCH): enable, privilege EL0, load/store, and the
// byte-address-select mask of the watched bytes in the doubleword.
struct Arm64WatchReg {
  uint64_t addr = 0;
  uint32_t ctrl = 0;  // 0: disabled
};
// nullopt if the range does not fit one register (crosses a doubleword).
std::optional<Arm64WatchReg> arm64_watch_reg(const HwWatch& w);
// Which enabled register a watchpoint trap at data address `addr` (its
// si_addr) came from: the nearest, within kArm64MaxAccess; -1: none.
constexpr uint64_t kArm64MaxAccess = 64;
int arm64_watch_hit(const std::vector<Arm64WatchReg>& regs, uint64_t addr);

}  // namespace rp
