// What the replay does for one recorded syscall entry and one event.
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "buffers.h"
#include "fork_copy.h"
#include "replayer.h"
#include "syscall_table.h"
#include "sysv_shm.h"
#include "tracee_mem.h"

namespace rp {
namespace {

// prctl forms emulated although prctl runs for real. Seccomp filters are
// not installed in replay (the seccomp syscall is emulated, and emulated
// calls never reach a filter), so the forms that set or read the seccomp
// mode are emulated too. The replay sandbox sets no_new_privs and empties
// the capability sets: getters of those answer from the recording, and the
// setters, which need privileges the sandbox lacks (CAP_SETPCAP), take the
// recorded result too. The recorder answers the TSC mode calls itself
// (record/ptrace_recorder.cc, answer_tsc_mode), since rp traps rdtsc. None
// writes memory but PR_GET_TSC's int, recorded, so emulating them changes
// nothing else (the replayed program's capabilities decide nothing: every
// call that could depend on them is emulated or compared).
bool emulated_prctl(uint64_t option) {
  switch (option) {
    case 21: case 22: return true;  // PR_GET_SECCOMP, PR_SET_SECCOMP
    case 25: case 26: return true;  // PR_GET_TSC, PR_SET_TSC: as rp answered them
    case 39: return true;           // PR_GET_NO_NEW_PRIVS
    case 23: case 24: return true;  // PR_CAPBSET_READ, PR_CAPBSET_DROP
    case 27: case 28: return true;  // PR_GET_SECUREBITS, PR_SET_SECUREBITS
    case 47: return true;           // PR_CAP_AMBIENT: every sub-command
    default: return false;
  }
}

}  // namespace

// Brings a thread to the syscall entry the trace recorded (before the event
// `now`). False if the thread does not exist yet.
bool Replayer::enter_syscall(const SyscallEntry& entry, const Event& now) {
  auto it = tasks_.find(entry.tid);
  if (it == tasks_.end()) return false;
  Task& t = it->second;
  if (t.state == State::kAtSyscall || entry.of < now.seq) return true;
  if (agent_will_answer(entry.of)) return true;  // the agent ran it already
  if (t.rp_call_due && made_by_rp(entry.of == now.seq ? now : trace_.event_at(entry.of)))
    return true;  // replay_rp_call makes it
  if (entry.of == now.seq) {
    reach_syscall(t, now);  // its own entry: no copy of the event's bytes
  } else {
    Event placeholder = now;
    placeholder.seq = entry.of;
    reach_syscall(t, placeholder);
  }
  if (t.state != State::kAtSyscall) return true;  // the agent answered it
  // A fork's child may act before its parent's fork returns (always, for
  // vfork): create the child as soon as the parent enters the call. And a
  // vfork parent resumes inside its child's execve, before that execve
  // returns: run an execve when it is entered too.
  bool clone = t.nr == SYS_clone;
#if defined(SYS_fork)
  clone = clone || t.nr == SYS_fork || t.nr == SYS_vfork;  // not on arm64
#endif
  bool exec = t.nr == SYS_execve || t.nr == SYS_execveat;
  if (!clone && !exec) return true;
  // An execve of a thread with others in its group runs at its end, not
  // here: the others run on until its SIGKILL reaches them, and their events
  // between its entry and its end come first (exec_from_thread.cc).
  if (exec)
    for (const auto& [rec, o] : tasks_)
      if (&o != &t && o.real_tgid == t.real_tgid && o.state != State::kGone &&
          o.state != State::kExiting)
        return true;
  Event ce = trace_.event_at(entry.of);
  bool ok = clone ? !syscall_failed(ce.ret) : ce.ret == 0;
  // A clone cut short on its way out (by another thread's execve) still
  // made its child (the recorder keeps its tid); other cut-short calls did
  // nothing replay must do here.
  bool cut_short = ce.extra == kNoReturn;
  if (ce.kind != EventKind::kSyscall || !ok || (cut_short && !(clone && ce.ret > 0)) ||
      made_by_tracer(ce))
    return true;
  check_call(t, ce);
  if (auto copy = clone ? fork_copy_seq(ce) : std::nullopt) {
    // Other threads ran while the kernel copied the memory: the copy is made
    // after their events numbered before its end, not at the entry.
    pending_forks_.push_back({t.rec, entry.of, *copy});
    return true;
  }
  if (clone)
    execute_clone(t, ce);
  else
    execute(t, ce);
  t.done_seq = entry.of;
  t.cut_short = cut_short;
  return true;
}

void Replayer::run_forks_due(uint64_t seq, const EntryScheduler::EntryFn& enter) {
  for (;;) {
    auto due = std::min_element(pending_forks_.begin(), pending_forks_.end(),
                                [](const PendingFork& a, const PendingFork& b) {
                                  return a.copy < b.copy;
                                });
    if (due == pending_forks_.end() || due->copy >= seq) return;
    const PendingFork f = *due;
    pending_forks_.erase(due);
    entries_->enter_before(f.copy, enter);  // those entered before the copy's end
    Task& t = task(f.tid, trace_.event_at(f.of));
    execute_clone(t, trace_.event_at(f.of));
    t.done_seq = f.of;
  }
}

// The descriptors a sendmsg passes, read from the program's memory at the
// call (the trace keeps only a hash of what it sends): a recvmsg at the other
// end gets them (output_fds.h).
void Replayer::note_sent_fds(Task& t, const Event& e) {
  auto read = [&](uint64_t addr, size_t len) { return read_mem(t.real, addr, len); };
  std::vector<int> fds = sent_fds(e, read);
  if (!fds.empty()) output_fds_.note_sent(e.tid, static_cast<int>(e.args[0]), fds);
}

void Replayer::dispatch(const Event& e) {
  Task& t = task(e.tid, e);
  switch (e.kind) {
    case EventKind::kSyscall:
      if (made_by_rp(e)) {
        replay_rp_call(t, e);
        break;
      }
      if (!made_by_tracer(e)) output_fds_.apply(e, 0);  // the kernel did nothing
      if (e.nr == SYS_set_robust_list && e.ret == 0) robust_heads_[e.tid] = e.args[0];
      if (t.done_seq == e.seq) break;        // executed when it was entered
      if (agent_answered(t, e)) break;       // answered in the program by the agent
      if (t.state == State::kGone) break;    // an unfinished call of a reaped thread
      if (Task* execer = exec_from_other_thread(t, e)) {
        execute_exec_from_thread(t, *execer, e);
        break;
      }
      if (t.state != State::kAtSyscall) reach_syscall(t, e);
      else if (t.entry_unseen) observe_entry(t, e.seq);
      if (agent_answered(t, e)) break;
      check_call(t, e);
      if ((e.nr == SYS_sendmsg || e.nr == SYS_sendmmsg) && !syscall_failed(e.ret))
        note_sent_fds(t, e);
      if (e.extra == kNoReturn) break;  // it died in there: see observe_exit
      replay_syscall(t, e);
      break;
    case EventKind::kSignal: deliver_signal(t, e); break;
    case EventKind::kTaskExit:
      observe_exit(t, e);
      notify(ReplayStop::kTaskGone, t.rec, e.ret);
      break;
    case EventKind::kPreempt: {
      std::optional<SignalExtra> x = signal_extra(e);
      if (!x) diverge(e, "damaged preemption record");
      Regs target = recorded_regs(*x);
      // No registers: no point a thread can be at (the eBPF recorder once
      // wrote such records in a race, docs/backends.md "moving").
      if (target.ip() == 0 && target.sp() == 0) diverge(e, "damaged preemption record: no registers");
      // Switched out as its tracer's single step resumed it, before the
      // instruction ran: it is there already, held at its last step's trap.
      if (t.held_fault && t.state == State::kHeld && target.same_user_state(t.regs)) break;
      // The breakpoint's SIGTRAP is not delivered; a signal it stayed with is.
      if (!run_to_point(t, e, target, AtPoint::kSwitch)) t.resume_sig = 0;
      break;
    }
    case EventKind::kInsn: replay_insn(t, e); break;
  }
  if (auto ns = e.ended_ns()) t.last_event_ns = ns;
}

// A thread stopped at the entry of the recorded call: emulate it or run it
// for real, by the call's policy (syscalls.def).
void Replayer::replay_syscall(Task& t, const Event& e) {
  const SyscallSpec* s = syscall_spec(e.nr);
  rp_policy p = s ? s->policy : RP_POLICY_EMU;
  if (p == RP_POLICY_MMAP && syscall_failed(e.ret)) p = RP_POLICY_EMU;
  if (p == RP_POLICY_EXECVE && e.ret != 0) p = RP_POLICY_EMU;
  // A brk the kernel refused (it returns the old break: RLIMIT_AS, RLIMIT_DATA,
  // a mapping in the way) changed nothing; run for real under replay's
  // limits (setrlimit is emulated) it could succeed.
  if (e.nr == SYS_brk && e.args[0] != 0 && static_cast<uint64_t>(e.ret) != e.args[0])
    p = RP_POLICY_EMU;
  if (p == RP_POLICY_CLONE && syscall_failed(e.ret)) p = RP_POLICY_EMU;
  if (is_sysv_attach_or_detach(e.nr) && syscall_failed(e.ret)) p = RP_POLICY_EMU;
  if (e.nr == SYS_prctl && emulated_prctl(e.args[0])) p = RP_POLICY_EMU;
  if (made_by_tracer(e)) p = RP_POLICY_EMU;  // made by its tracer, not the kernel
  switch (p) {
    case RP_POLICY_EXEC:
    case RP_POLICY_MMAP:
    case RP_POLICY_EXECVE:
    case RP_POLICY_SIGRETURN: execute(t, e); break;
    case RP_POLICY_CLONE: execute_clone(t, e); break;
    case RP_POLICY_EXIT:
      if (killed_in_exit_group(t, e)) break;  // held at the entry
      notify(ReplayStop::kExiting, t.rec, e.nr);
      execute_exit(t, e);
      break;
    default:
      emulate(t, e);
      apply_emulated_ptrace(t, e);
      apply_memory_write(t, e);
      apply_stack_limit(t, e);
      break;
  }
}

}  // namespace rp
