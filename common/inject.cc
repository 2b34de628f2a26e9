#include "inject.h"

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "tracee_mem.h"
#include "vdso.h"

namespace rp {

#if defined(__x86_64__)

namespace {
constexpr int64_t kERestartSys = -512, kERestartNoIntr = -513, kERestartNoHand = -514,
                  kERestartBlock = -516;
}

Regs restart_normalized(const Regs& regs) {
  Regs r = regs;
  auto nr = static_cast<int64_t>(r.raw.orig_rax);
  auto ret = static_cast<int64_t>(r.raw.rax);
  if (nr >= 0 && (ret == kERestartSys || ret == kERestartNoIntr || ret == kERestartNoHand ||
                  ret == kERestartBlock)) {
    r.raw.rax = ret == kERestartBlock ? SYS_restart_syscall : static_cast<uint64_t>(nr);
    r.raw.rip -= 2;  // the syscall instruction's length
  }
  r.raw.orig_rax = static_cast<uint64_t>(-1);
  return r;
}

Regs entry_rewound(const Regs& regs) {
  Regs r = regs;
  r.raw.rax = r.raw.orig_rax;
  r.raw.rip -= 2;
  r.raw.orig_rax = static_cast<uint64_t>(-1);
  return r;
}

uint64_t vdso_syscall_insn(pid_t tid) {
  auto range = find_vdso(tid, nullptr);
  if (!range) return 0;
  std::string image = read_mem(tid, range->addr, range->size);
  if (image.size() != range->size) return 0;
  auto patches = plan_vdso_patches(image, nullptr);
  if (!patches) return 0;
  for (const auto& p : *patches) {
    size_t at = p.bytes.find("\x0f\x05");
    // Only where the stub is in place (the vDSO is patched).
    if (at != std::string::npos && image.compare(p.offset, p.bytes.size(), p.bytes) == 0)
      return range->addr + p.offset + at;
  }
  return 0;
}

bool SyscallInjector::wait_syscall_stop(bool entry, std::string* error) {
  for (;;) {
    int status;
    pid_t r = waitpid(tid_, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || !WIFSTOPPED(status)) {
      if (error) *error = "thread " + std::to_string(tid_) + " ended while rp ran a syscall in it";
      return false;
    }
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) {
      // From a syscall-entry stop, the call skipped there reports its exit first.
      __ptrace_syscall_info info{};
      ptrace(PTRACE_GET_SYSCALL_INFO, tid_, sizeof info, &info);
      if (info.op == (entry ? PTRACE_SYSCALL_INFO_ENTRY : PTRACE_SYSCALL_INFO_EXIT)) return true;
    } else if ((status >> 16) == 0) {
      // A signal arrived: held back, sent again once the registers are back.
      siginfo_t si;
      if (ptrace(PTRACE_GETSIGINFO, tid_, nullptr, &si) == 0) deferred_signals_.push_back(sig);
    }
    ptrace(PTRACE_SYSCALL, tid_, nullptr, 0);
  }
}

std::optional<int64_t> SyscallInjector::call(int64_t nr, std::initializer_list<uint64_t> args,
                                             std::string* error) {
  Regs now;
  if (!now.read(tid_)) {
    if (error) *error = "cannot read the registers of thread " + std::to_string(tid_);
    return std::nullopt;
  }
  if (!saved_) saved_ = now;
  Regs r = now;
  r.raw.rip = insn_;
  r.raw.rax = static_cast<uint64_t>(nr);
  r.raw.orig_rax = static_cast<uint64_t>(-1);  // no restart of what the stop interrupted
  int i = 0;
  for (uint64_t a : args) r.set_arg(i++, a);
  if (!r.write(tid_) || ptrace(PTRACE_SYSCALL, tid_, nullptr, 0) != 0) {
    if (error) *error = "cannot run a syscall in thread " + std::to_string(tid_) + ": " +
                        strerror(errno);
    return std::nullopt;
  }
  if (!wait_syscall_stop(true, error)) return std::nullopt;
  ptrace(PTRACE_SYSCALL, tid_, nullptr, 0);
  if (!wait_syscall_stop(false, error)) return std::nullopt;
  Regs out;
  if (!out.read(tid_)) {
    if (error) *error = "cannot read the registers of thread " + std::to_string(tid_);
    return std::nullopt;
  }
  return static_cast<int64_t>(out.raw.rax);
}

bool SyscallInjector::restore(std::string* error, const Regs* regs) {
  const Regs* back = regs ? regs : saved_ ? &*saved_ : nullptr;
  if (back && !back->write(tid_)) {
    if (error) *error = "cannot set the registers of thread " + std::to_string(tid_);
    return false;
  }
  for (int sig : deferred_signals_) syscall(SYS_tkill, tid_, sig);
  deferred_signals_.clear();
  saved_.reset();
  return true;
}

#else

Regs restart_normalized(const Regs& regs) { return regs; }
Regs entry_rewound(const Regs& regs) { return regs; }
uint64_t vdso_syscall_insn(pid_t) { return 0; }
bool SyscallInjector::wait_syscall_stop(bool, std::string* error) {
  if (error) *error = "running a syscall in a tracee is not implemented on this architecture";
  return false;
}
std::optional<int64_t> SyscallInjector::call(int64_t, std::initializer_list<uint64_t>,
                                             std::string* error) {
  wait_syscall_stop(true, error);
  return std::nullopt;
}
bool SyscallInjector::restore(std::string* error, const Regs*) {
  return wait_syscall_stop(true, error);
}

#endif

}  // namespace rp
