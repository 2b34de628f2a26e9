// A trapped rdtsc or cpuid raises a SIGSEGV the kernel forces through
// (force_sig_info_to_task): if the thread had SIGSEGV blocked, the kernel
// unblocks it (and resets its action to the default) before rp sees the
// stop, so the recorded program ran on with SIGSEGV unblocked, which it
// never asked for (rr's sigprocmask_exec: blocked before an execve, checked
// after ld.so's start-up rdtsc). Under the ptrace backend rp sees every call
// that changes the mask, so it knows the blocked bit where it can and puts
// it back after such a trap; where it cannot know (a signal handler ran
// since, which may have blocked it), nothing is put back. Under the kernel
// backends the kernel side notes the bit at every syscall return and says
// at the trap's stop whether it was set (RP_STOP_F_SEGV_BLOCKED).
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "ptrace_recorder.h"

namespace rp {
namespace {

constexpr uint64_t kSegvBit = uint64_t{1} << (SIGSEGV - 1);

}  // namespace

// From the kernel, at a stop: after an execve, at a new thread's first stop.
void PtraceRecorder::learn_segv_mask(Task& t) {
  uint64_t mask = 0;
  if (kernel_ || ptrace(PTRACE_GETSIGMASK, t.tid, sizeof mask, &mask) != 0) {
    t.segv_blocked.reset();
    return;
  }
  t.segv_blocked = (mask & kSegvBit) != 0;
}

// At the exit stop of a call: those that set the mask are read again; a
// signal delivery (make_runnable with a signal) forgets it.
void PtraceRecorder::note_segv_mask_call(Task& t) {
  if (t.nr == SYS_rt_sigprocmask || t.nr == SYS_rt_sigreturn) learn_segv_mask(t);
}

// After rp emulated a trapped instruction: the forced SIGSEGV unblocked it.
void PtraceRecorder::restore_segv_mask(Task& t, const rp_stop_point& stop) {
  const bool blocked =
      kernel_ ? (stop.flags & RP_STOP_F_SEGV_BLOCKED) != 0 : t.segv_blocked.value_or(false);
  if (!blocked) return;
  uint64_t mask = 0;
  if (ptrace(PTRACE_GETSIGMASK, t.tid, sizeof mask, &mask) != 0 || (mask & kSegvBit)) return;
  mask |= kSegvBit;
  ptrace(PTRACE_SETSIGMASK, t.tid, sizeof mask, &mask);
}

}  // namespace rp
