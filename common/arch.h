// Architecture layer: which register holds what at a syscall stop.
//
// x86_64: nr in orig_rax, args in rdi rsi rdx r10 r8 r9, result in rax; the
// argument registers survive the syscall.
// arm64: nr in x8 (changed through NT_ARM_SYSTEM_CALL), args in x0..x5, result in
// x0 — so x0 (arg0) is overwritten by the return value and must be saved at
// syscall entry. Code that needs arguments at syscall exit must use the copy
// taken at entry; kArg0ClobberedByReturn says so.
#pragma once
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <string>

#if defined(__aarch64__)
#include <asm/ptrace.h>
#endif

namespace rp {

#if defined(__x86_64__)
constexpr const char* kArchName = "x86_64";
constexpr bool kArg0ClobberedByReturn = false;
constexpr int kSyscallInsnLen = 2;  // 0f 05
inline const std::string kSyscallInsn("\x0f\x05", 2);  // syscall
constexpr int kCloneChildTidArg = 3;  // clone(flags, stack, parent_tid, child_tid, tls)
using RawRegs = user_regs_struct;
#elif defined(__aarch64__)
constexpr const char* kArchName = "aarch64";
constexpr bool kArg0ClobberedByReturn = true;
constexpr int kSyscallInsnLen = 4;  // svc #0
inline const std::string kSyscallInsn("\x01\x00\x00\xd4", 4);  // svc #0
constexpr int kCloneChildTidArg = 4;  // clone(flags, stack, parent_tid, tls, child_tid)
using RawRegs = user_pt_regs;
#else
#error "rp supports x86_64 and aarch64"
#endif

// The syscall number the kernel keeps for a stopped thread, -1 if it entered
// the kernel other than by a syscall (an interrupt, a fault). x86_64: orig_rax
// of `regs`. arm64: not x8, which is a general register in user code, but the
// kernel's own syscallno, read through NT_ARM_SYSTEM_CALL.
class Regs;
int64_t kernel_syscall_nr(pid_t tid, const Regs& regs);

class Regs {
 public:
  RawRegs raw{};

  uint64_t ip() const;
  void set_ip(uint64_t v);
  uint64_t sp() const;
  int64_t syscall_nr() const;
  uint64_t arg(int i) const;
  void set_arg(int i, uint64_t v);
  int64_t ret() const;
  void set_ret(int64_t v);

  bool read(pid_t tid);
  bool write(pid_t tid) const;
  // Changes the syscall number a thread stopped at syscall entry will run;
  // -1 skips the syscall.
  static bool set_syscall_nr(pid_t tid, Regs& regs, int64_t nr);
  bool operator==(const Regs& o) const;
  // Same user-visible state: every general register, flags but the trap and
  // resume bits a debugger stop may change, not the syscall number slot.
  bool same_user_state(const Regs& o) const;
  // The registers of a thread that has executed its syscall instruction and
  // not yet started the call: x86_64 keeps the number in orig_rax (-1 after
  // any other way into the kernel) and presets rax to -ENOSYS. arm64's user
  // registers do not tell (the kernel's syscallno is not among them): false.
  bool entering_syscall() const;
  // These registers as a syscall stop would show them, for comparing real
  // ones (read at a signal or breakpoint stop) with `stop`'s, read at a
  // syscall stop: arm64's syscall stops show x7 as 0 (entry) or 1 (exit)
  // and the kernel puts the real value back after the stop, so x7 is taken
  // from `stop`. x86_64's show every register as it is, but orig_rax is the
  // kernel's, not the thread's: -1 when an interrupt took the thread just as
  // it was back in user code, before its first instruction (a SIGCHLD then
  // is in user code with the exit's registers): taken from `stop` too.
  Regs as_at_syscall_stop(const Regs& stop) const;
  std::string describe() const;  // one line: ip, sp, a few registers
};

}  // namespace rp
