#include "debugreg.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "arch.h"
#include "tracee_mem.h"

#if defined(__aarch64__)
#include <asm/ptrace.h>  // user_hwdebug_state
#include <elf.h>         // NT_ARM_HW_BREAK
#endif

namespace rp {
namespace {

#if defined(__x86_64__)

long dr_offset(int i) { return static_cast<long>(offsetof(struct user, u_debugreg) + i * 8); }

// DR7 bits of slot 0 (L0, G0, RW0, LEN0); slots 1-3 hold a debugger's
// watchpoints (replay/gdb_target.cc) and are left as they are.
constexpr unsigned long kSlot0Bits = 0xf0003;

unsigned long dr7_others(pid_t tid) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, tid, dr_offset(7), nullptr);
  return errno ? 0 : static_cast<unsigned long>(v) & ~kSlot0Bits;
}

bool set_hardware(pid_t tid, uint64_t addr) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(0), addr) != 0) return false;
  // DR7: local enable of slot 0; RW0 = 00 (execute) and LEN0 = 00 (1 byte).
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7_others(tid) | 1UL) == 0;
}

bool clear_hardware(pid_t tid) {
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7_others(tid)) == 0;
}

const std::string kTrapInsn("\xcc", 1);  // int3
constexpr bool kTrapStopsAfter = true;     // its SIGTRAP comes with rip past it

#elif defined(__aarch64__)

// Slot 0 of the breakpoint registers (NT_ARM_HW_BREAK); a write shorter than
// the whole set changes only the slots it covers. The control word is the
// kernel's ptrace encoding: enable (bit 0), privilege EL0 (bits 1-2 = 2),
// type execute (bits 3-4 = 0), byte-address-select 0xf (bits 5-12: the whole
// 4-byte A64 instruction).
bool write_slot0(pid_t tid, uint64_t addr, uint32_t ctrl) {
  user_hwdebug_state regs{};
  regs.dbg_regs[0].addr = addr;
  regs.dbg_regs[0].ctrl = ctrl;
  iovec iov{&regs, offsetof(user_hwdebug_state, dbg_regs) + sizeof regs.dbg_regs[0]};
  return ptrace(PTRACE_SETREGSET, tid, NT_ARM_HW_BREAK, &iov) == 0;
}

bool set_hardware(pid_t tid, uint64_t addr) {
  constexpr uint32_t kExecEl0Word = 1u | 2u << 1 | 0xfu << 5;
  return write_slot0(tid, addr, kExecEl0Word);
}

bool clear_hardware(pid_t tid) { return write_slot0(tid, 0, 0); }

const std::string kTrapInsn("\x00\x00\x20\xd4", 4);  // brk #0
constexpr bool kTrapStopsAfter = false;                 // its SIGTRAP leaves pc on it

#endif

// Where the probe's child stops.
__attribute__((noinline)) void probe_target() { asm volatile("" ::: "memory"); }

// A child that stops for rp, then runs probe_target: with a hardware
// breakpoint there it stops at SIGTRAP, without one it exits.
bool probe_hardware() {
  const pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 && raise(SIGSTOP) == 0) probe_target();
    _exit(0);
  }
  int status = 0;
  bool fired = false;
  if (waitpid(child, &status, 0) == child && WIFSTOPPED(status) &&
      set_hardware(child, reinterpret_cast<uint64_t>(&probe_target)) &&
      ptrace(PTRACE_CONT, child, nullptr, nullptr) == 0 && waitpid(child, &status, 0) == child)
    fired = WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP;
  kill(child, SIGKILL);
  while (waitpid(child, &status, 0) == child && !WIFEXITED(status) && !WIFSIGNALED(status)) {
  }
  return fired;
}

// Software breakpoints set, by thread: where, and the bytes the trap covers.
struct SoftBreakpoint {
  uint64_t addr = 0;
  std::string original;
};
std::mutex soft_lock;
std::map<pid_t, SoftBreakpoint> soft;

bool clear_software(pid_t tid) {
  std::lock_guard<std::mutex> g(soft_lock);
  auto it = soft.find(tid);
  if (it == soft.end()) return true;
  const bool ok = write_mem(tid, it->second.addr, it->second.original);
  soft.erase(it);
  return ok;
}

bool set_software(pid_t tid, uint64_t addr) {
  if (!clear_software(tid)) return false;
  std::string original = read_mem(tid, addr, kTrapInsn.size());
  if (original.size() != kTrapInsn.size() || !write_mem(tid, addr, kTrapInsn)) return false;
  std::lock_guard<std::mutex> g(soft_lock);
  soft[tid] = {addr, std::move(original)};
  return true;
}

}  // namespace

bool hardware_breakpoints_fire() {
  static std::once_flag once;
  static bool fire = false;
  std::call_once(once, [] {
    const char* force = getenv("RP_BREAKPOINTS");  // "software": tests of the fallback
    fire = !(force && std::string(force) == "software") && probe_hardware();
  });
  return fire;
}

bool set_exec_breakpoint(pid_t tid, uint64_t addr) {
  return hardware_breakpoints_fire() ? set_hardware(tid, addr) : set_software(tid, addr);
}

bool clear_exec_breakpoint(pid_t tid) {
  return hardware_breakpoints_fire() ? clear_hardware(tid) : clear_software(tid);
}

bool exec_breakpoint_refires() {
#if defined(__aarch64__)
  return true;
#else
  return !hardware_breakpoints_fire();
#endif
}

bool rewind_to_exec_breakpoint(pid_t tid) {
  if (!kTrapStopsAfter) return true;
  uint64_t addr = 0;
  {
    std::lock_guard<std::mutex> g(soft_lock);
    auto it = soft.find(tid);
    if (it == soft.end()) return true;
    addr = it->second.addr;
  }
  Regs r;
  if (!r.read(tid)) return false;
  if (r.ip() != addr + kTrapInsn.size()) return true;  // stopped elsewhere: the caller tells
  r.set_ip(addr);
  return r.write(tid);
}

}  // namespace rp
