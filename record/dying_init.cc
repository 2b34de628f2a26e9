// A pid namespace's init that a fault kills. The kernel marks an init
// SIGNAL_UNKILLABLE; a fault's forced signal clears that, so that the fault
// kills it, but not while the init is traced (force_sig_info_to_task): under
// rp it would fault again forever and the recording would never end. So rp
// records the delivery as the default action's, lets the init go
// (PTRACE_DETACH: it faults again, untraced, and dies of it, as it does
// without rp) and records its end when it is gone, before anything its
// parent then sees of it. In replay the process is no init and dies of the
// same fault by itself (rr does the same: RecordSession, is_container_init).
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <mutex>

#include "ptrace_recorder.h"
#include "kernel_capture.h"
#include "tracee.h"

namespace rp {

// A fault the kernel raised (not sent), whose default action kills: no
// handler can take it (none, or the signal is blocked, which the kernel
// forces open resetting the handler), in a single-threaded init (the
// pidfd that tells rp of its end names a process).
bool PtraceRecorder::init_dies_of(const Task& t, int sig, const siginfo_t& si) {
  const bool fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
  if (!fault || si.si_code <= 0 || t.tid != t.tgid) return false;
  for (const auto& [tid, other] : tasks_)
    if (other.tgid == t.tgid && tid != t.tid) return false;
  const std::string status = proc_status(t.tid);
  if (!pid_namespace_init(status)) return false;
  const uint64_t bit = uint64_t{1} << (sig - 1);
  const bool caught = status_field(status, "SigCgt", 16).value_or(0) & bit;
  const bool blocked = status_field(status, "SigBlk", 16).value_or(0) & bit;
  return !caught || blocked;
}

void PtraceRecorder::let_init_die(Task& t, int sig, const siginfo_t& si, uint32_t at_syscall) {
  unique_fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, t.tid, 0)));
  record_signal(t, sig, si, at_syscall, kSigDefault);
  release_slot(t);
  t.run = Run::kDying;
  ptrace(PTRACE_DETACH, t.tid, nullptr, 0);
  dying_inits_[t.tid] = DyingInit{std::move(pidfd), sig};
}

// Those gone by now (their pidfd readable: no longer running; the kernel
// sides numbered their exit in do_exit) get their end recorded. Called
// where the loop holds no lock: a kernel backend's writer thread shares the
// trace, so its lock is taken here, as the loop takes it for a stop.
void PtraceRecorder::reap_dying_inits() {
  for (auto it = dying_inits_.begin(); it != dying_inits_.end();) {
    pollfd p{it->second.pidfd.get(), POLLIN, 0};
    if (it->second.pidfd && poll(&p, 1, 0) == 0) {
      ++it;
      continue;
    }
    const pid_t tid = it->first;
    const int sig = it->second.sig;
    it = dying_inits_.erase(it);
    std::unique_lock<std::mutex> lk;
    if (kernel_) {
      kernel_->wait_room();  // before the lock: the writer needs it to make room
      lk = kernel_->lock_writer();
    }
    on_task_gone(tid, sig);  // killed by sig (whether it dumped core is not known here)
  }
}

}  // namespace rp
