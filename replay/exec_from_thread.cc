// An execve by a thread other than the leader: the kernel kills the group's
// other threads, and the exec'ing thread goes on under the leader's tid. The
// trace records the execve (and all that follows) under the leader's tid,
// after the leader's unfinished call; replay finds the thread that really
// made it and lets it exec, then the leader's task stands for the new program.
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>

#include "render.h"
#include "replayer.h"
#include "counter_patch.h"

namespace rp {

// The thread that made the execve the trace gives the leader `t`, if
// another did: the leader is inside another call (cut short by the exec).
// Of the group's other live threads, it is the one the trace never ends.
Replayer::Task* Replayer::exec_from_other_thread(Task& t, const Event& e) {
  bool exec = (e.nr == SYS_execve || e.nr == SYS_execveat) && e.ret == 0;
  // The leader is inside another call, or held after a clone that was cut
  // short by this very execve (replay made the clone at its entry).
  bool in_call = t.state == State::kAtSyscall || (t.state == State::kHeld && t.cut_short);
  if (!exec || t.real != t.real_tgid || !in_call || t.nr == e.nr) return nullptr;
  std::vector<Task*> found;
  for (auto& [rec, o] : tasks_) {
    if (&o == &t || o.real_tgid != t.real_tgid) continue;
    if (o.state == State::kGone || o.state == State::kExiting) continue;
    if (!recorded_end(rec, e.seq)) found.push_back(&o);
  }
  if (found.size() != 1)
    diverge(e, "the leader is in " + render_call(e, false) + "'s place and " +
                   std::to_string(found.size()) + " other threads could have made that execve");
  return found[0];
}

// With execer's execve resumed (one the recording saw succeed): the
// group's other threads, which it ends, held in their stops (those whose
// ends the trace has already, observe_exit left there; the others are
// between events). The execve's SIGKILL takes each out of its stop; each
// then stops at its exit, and the exec goes on once they are gone. Not
// resumed before: a thread let go too early would run to its next syscall,
// which the replay filter kills (SIGSYS, the whole group). The old leader,
// when another thread execs, is left to execute_exec_from_thread.
void Replayer::let_exec_end_others(const Task& execer) {
  for (auto& [rec, o] : tasks_) {
    if (&o == &execer || o.real_tgid != execer.real_tgid || o.real == o.real_tgid) continue;
    while (o.state != State::kGone) {
      wait(o);
      if (o.state != State::kGone) resume_request(o, PTRACE_CONT, 0);
    }
  }
}

void Replayer::execute_exec_from_thread(Task& leader, Task& execer, const Event& e) {
  if (execer.state != State::kAtSyscall) reach_syscall(execer, e);
  check_call(execer, e);
  reenter_syscall(execer, e);
  resume_request(execer, PTRACE_SYSCALL, 0);
  let_exec_end_others(execer);
  // From here the kernel reports under the leader's tid: the old leader's
  // exit (when it stops there), then the exec, then the execve's exit stop.
  bool exec_seen = false;
  for (;;) {
    int status = wait(leader);
    if (leader.state == State::kGone)
      diverge(e, "the program " + render_wait_status(status) + " executing " + render_call(e));
    int ev = WIFSTOPPED(status) ? stop_event(status) : 0;
    if (ev == PTRACE_EVENT_EXEC) exec_seen = true;
    if (exec_seen && is_syscall_stop(status)) break;
    resume_request(leader, exec_seen ? PTRACE_SYSCALL : PTRACE_CONT, 0);
  }
  execer.state = State::kGone;  // its tid is the leader's now
  execer.mem.address_space_changed();
  leader.mem.address_space_changed();
  leader.resume_sig = 0;
  Regs after = get_regs(leader);
  if (after.ret() != e.ret)
    diverge(e, "executing it for real gave " + render_return(after.ret()) + "\n  recorded: " +
                   render_call(e));
  write_recorded_mem(leader, e);
  agent_on_exec(leader.real_tgid, leader.real);  // a new address space: no agent yet
  std::string why;  // patched at the same stop as in the recording
  if (!patch_exec_image(leader.real, exec_code(leader, e), &why)) diverge(e, why);
  leader.rp_call_due = trap_cpuid_;
  leader.regs = after;
  leader.state = State::kHeld;
  notify(ReplayStop::kExec, leader.rec);
}

}  // namespace rp
