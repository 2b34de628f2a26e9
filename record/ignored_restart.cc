#include "ignored_restart.h"

#include <cerrno>
#include <csignal>
#include <string>

#include <sys/syscall.h>

#include "trace.h"
#include "tracee.h"

namespace rp {
namespace {

bool ignored(int sig, uint64_t ign, uint64_t cgt) {
  uint64_t bit = uint64_t{1} << (sig - 1);
  return (ign & bit) || (!(cgt & bit) && ignored_by_default(sig));
}

}  // namespace

bool interrupted_only_by_ignored(pid_t tid, int64_t nr, int sig, const Regs& regs) {
  if (regs.ret() != -EINTR || sig < 1 || sig > 64) return false;
  // rt_sigreturn "returns" the registers a handler interrupted: an EINTR
  // there is an earlier call's, which a caught signal ended for good (the
  // kernel forgot its number). Rewinding would run syscall -1: ENOSYS.
  if (nr == SYS_rt_sigreturn) return false;
#if defined(__x86_64__)
  if (static_cast<int64_t>(regs.raw.orig_rax) != nr) return false;
#endif
  const std::string status = proc_status(tid);
  auto field = [&](const char* name) { return status_field(status, name, 16); };
  auto ign = field("SigIgn"), cgt = field("SigCgt"), blk = field("SigBlk");
  auto pnd = field("SigPnd"), shd = field("ShdPnd");
  if (!ign || !cgt || !blk || !pnd || !shd) return false;
  if (!ignored(sig, *ign, *cgt)) return false;
  uint64_t others = (*pnd | *shd) & ~*blk;
  for (int s = 1; s <= 64; s++)
    if ((others & (uint64_t{1} << (s - 1))) && !ignored(s, *ign, *cgt)) return false;
  return true;
}

Regs rewound_call(Regs regs, uint64_t arg0) {
  regs.set_ip(regs.ip() - kSyscallInsnLen);
#if defined(__x86_64__)
  (void)arg0;
  regs.raw.rax = regs.raw.orig_rax;
#elif defined(__aarch64__)
  regs.raw.regs[0] = arg0;  // x8 still holds the number
#endif
  return regs;
}

bool rewind_call(pid_t tid, Regs regs, uint64_t arg0) { return rewound_call(regs, arg0).write(tid); }

}  // namespace rp
