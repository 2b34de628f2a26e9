// The recorded program's own ptrace: the stops and waits, served by rp
// (record/ptrace_emulation.h). The ptrace backend stops every syscall, so
// the tracer's ptrace and wait4 calls can be skipped in the kernel and
// answered by rp. Under a kernel backend (events-only mode) the same code
// runs at the stops emulation_stops asks for.
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <iostream>

#include "kernel_capture.h"
#include "ptrace_recorder.h"
#include "rp_abi.h"
#include "syscall_table.h"
#include "tracee.h"

namespace rp {

namespace {

int stop_status(EmuStop where, const EmuTracee& et) {
  int trap = SIGTRAP | ((et.options & PTRACE_O_TRACESYSGOOD) ? 0x80 : 0);
  const int event_stop = ((SIGTRAP | (PTRACE_EVENT_STOP << 8)) << 8) | 0x7f;
  // A PTRACE_EVENT_STOP in a group-stop carries its stop signal (taken as SIGSTOP).
  const int group_event_stop = ((SIGSTOP | (PTRACE_EVENT_STOP << 8)) << 8) | 0x7f;
  switch (where) {
    case EmuStop::kSignal: return (et.si.si_signo << 8) | 0x7f;
    case EmuStop::kVirtual: return et.group_stopped ? group_event_stop : event_stop;
    case EmuStop::kEvent: return ((SIGTRAP | (et.event << 8)) << 8) | 0x7f;
    // A seized tracer's new child starts in a PTRACE_EVENT_STOP, another's
    // with SIGSTOP.
    case EmuStop::kNewChild: return et.seized ? event_stop : (SIGSTOP << 8) | 0x7f;
    case EmuStop::kGroupStop: return et.seized ? group_event_stop : (SIGSTOP << 8) | 0x7f;
    default: return (trap << 8) | 0x7f;
  }
}

// Whether thread tid (of process tgid) is a child process of process `parent`:
// the kernel reports its end to that parent's own wait.
bool child_process(pid_t tid, pid_t tgid, pid_t parent) { return tid == tgid && parent_of(tgid) == parent; }



}  // namespace

void PtraceRecorder::skip_call(Task& t, int64_t ret) {
  Regs regs;
  if (regs.read(t.tid)) Regs::set_syscall_nr(t.tid, regs, -1);
  t.forced_ret = ret;
}

void PtraceRecorder::hold(Task& t) {
  release_slot(t);
  t.run = Run::kInKernel;  // not runnable: only the tracer's request resumes it
  schedule(groups_[t.slot]);
}

void PtraceRecorder::refuse_note(const std::string& what) {
  if (refused_noted_) return;
  refused_noted_ = true;
  std::cerr << "rp: note: the program's " << what
            << " is not emulated; it failed (recorded, replays the same)\n";
}

bool PtraceRecorder::wait_matches(const Task& waiter, pid_t tracee) const {
  if (waiter.nr == SYS_waitid) {
    int idtype = static_cast<int>(waiter.args[0]);
    if (idtype == P_PID) return static_cast<pid_t>(waiter.args[1]) == tracee;
    return idtype == P_ALL || idtype == P_PGID;  // groups: taken as any (a pidfd: never)
  }
  int pid = static_cast<int>(waiter.args[0]);
  return pid == -1 || pid == tracee || pid == 0 || pid < -1;  // groups: taken as any
}

// The waiter is at its wait4/waitid entry stop: the call is skipped and
// returns the stop. The table's output rules record what rp wrote at the exit.
void PtraceRecorder::answer_wait(Task& waiter, pid_t tracee, EmuTracee& et) {
  if (et.sigchld_deferred) {  // pending at the wait's exit: delivered after it returned
    et.sigchld_deferred = false;
    notify_tracer(tracee, et);
  }
  bool consumed = waiter.nr != SYS_waitid || !(waiter.args[3] & WNOWAIT);
  if (waiter.nr == SYS_waitid) {
    siginfo_t si = child_siginfo(tracee, et);
    if (waiter.args[2]) waiter.mem.write(waiter.args[2], bytes_of(&si, sizeof si));
    skip_call(waiter, 0);
  } else {
    if (waiter.args[1]) waiter.mem.write(waiter.args[1], bytes_of(&et.status, sizeof et.status));
    skip_call(waiter, tracee);
  }
  if (!consumed) return;
  et.reported = true;
  if (et.stop == EmuStop::kExited) emu_.erase(tracee);  // reaped, as far as its tracer goes
}

// The SIGCHLD siginfo of a tracee's stop or exit, as waitid and the
// kernel's signal to the tracer give it.
siginfo_t PtraceRecorder::child_siginfo(pid_t tracee, const EmuTracee& et) const {
  siginfo_t si{};
  si.si_signo = SIGCHLD;
  si.si_pid = tracee;
  si.si_uid = getuid();
  if (et.stop != EmuStop::kExited) {
    si.si_code = CLD_TRAPPED;
    si.si_status = et.status >> 8;  // the kernel's exit_code, whole for waitid
  } else if (WIFEXITED(et.status)) {
    si.si_code = CLD_EXITED;
    si.si_status = WEXITSTATUS(et.status);
  } else {
    si.si_code = WCOREDUMP(et.status) ? CLD_DUMPED : CLD_KILLED;
    si.si_status = WTERMSIG(et.status);
  }
  return si;
}

// At a wait4 or waitid entry: a stop of an emulated tracee the wait names
// is its answer. Otherwise the kernel runs the wait; if it blocks there and a
// tracee stops meanwhile, report_stop interrupts it.
void PtraceRecorder::emulate_wait(Task& t) {
  for (auto& [tid, et] : emu_)
    if (et.tracer_tgid == t.tgid && wait_matches(t, tid) && et.stop != EmuStop::kNone &&
        !et.reported) {
      answer_wait(t, tid, et);
      return;
    }
  // A wait that names a tracee that is not the waiter's child: the kernel
  // makes the tracer's wait for it block until it stops or ends, where its
  // parent's would fail with ECHILD. rp holds the waiter (announce answers
  // it), or answers 0 at once for WNOHANG.
  bool waitid = t.nr == SYS_waitid;
  if (waitid && t.args[0] != P_PID) return;
  pid_t named = static_cast<pid_t>(waitid ? t.args[1] : t.args[0]);
  auto it = emu_.find(named);
  if (named <= 0 || it == emu_.end() || it->second.tracer_tgid != t.tgid ||
      !tasks_.count(named) || child_process(named, tasks_[named].tgid, t.tgid))
    return;
  if (t.args[waitid ? 3 : 2] & WNOHANG) {
    if (waitid && t.args[2]) {
      const std::string none(24, '\0');  // what the kernel clears: signo to status
      if (t.mem.write(t.args[2], none)) t.forced_mem.push_back(MemRecord{t.args[2], none, false});
    }
    skip_call(t, 0);
    return;
  }
  t.wait_held = true;
}

// A thread held in such a wait that this report answers: answered, and on
// its way to the call's exit. False if none.
bool PtraceRecorder::answer_held_wait(pid_t tracee, EmuTracee& et) {
  for (auto& [tid, w] : tasks_) {
    if (!w.wait_held || w.tgid != et.tracer_tgid || !wait_matches(w, tracee)) continue;
    w.wait_held = false;
    notify_tracer(tracee, et);  // pending as the wait returns, as the kernel's
    if (kernel_) number_entry(w);
    answer_wait(w, tracee, et);  // may forget et (an exit)
    enter_kernel(w);
    return true;
  }
  return false;
}

void PtraceRecorder::report_stop(pid_t tracee, EmuTracee& et, EmuStop where) {
  et.interrupt_pending = false;  // any stop answers it
  et.stop = where;
  et.reported = false;
  et.status = stop_status(where, et);
  announce(tracee, et);
}

// A tracee that is not its tracer's child ended (`status` as waitpid gave it
// to rp): the kernel reports that to the tracer first, through its wait and
// a SIGCHLD, as it reports stops. (A child's end reaches it through its own
// wait, from the kernel.)
bool PtraceRecorder::report_exit(pid_t tracee, int status) {
  auto it = emu_.find(tracee);
  if (it == emu_.end()) return false;
  EmuTracee& et = it->second;
  if (et.tracers_child) return false;
  et.stop = et.held = EmuStop::kExited;
  et.interrupt_pending = false;
  et.reported = false;
  et.status = status;
  announce(tracee, et);
  return true;
}

// Tells the tracer of a new stop or exit: its thread blocked in a matching
// wait is interrupted to be answered, or it gets SIGCHLD.
void PtraceRecorder::announce(pid_t tracee, EmuTracee& et) {
  if (answer_held_wait(tracee, et)) return;
  // A thread of the tracer in the kernel's wait, which does not know of the
  // stop: interrupt it; the call restarts, and rp answers it at its entry.
  for (auto& [tid, w] : tasks_)
    if (w.tgid == et.tracer_tgid && w.in_syscall && (w.nr == SYS_wait4 || w.nr == SYS_waitid) &&
        !w.forced_ret && !w.wait_kicked && wait_matches(w, tracee)) {
      kick(w);
      et.sigchld_deferred = true;
      return;
    }
  notify_tracer(tracee, et);
}

// The kernel sends the tracer SIGCHLD (CLD_TRAPPED) at each ptrace stop,
// unless its action is the default or ignore, or has SA_NOCLDSTOP. rp can
// only send a plain SIGCHLD to another process: it gets the kernel's siginfo
// at its delivery stop (sigchld_arrived), and is recorded with it there like
// any signal, so replay delivers it the same. Like the kernel, one SIGCHLD
// pending at a time (a second merges with it).
void PtraceRecorder::notify_tracer(pid_t tracee, EmuTracee& et) {
  pid_t tracer = et.tracer_tgid;
  bool exit = et.stop == EmuStop::kExited;  // SA_NOCLDSTOP is about stops only
  if (sigchld_sent_.count(tracer) || (nocldstop_[tracer] && !exit)) return;
  if (disposition(tracer, SIGCHLD) != kSigCaught) return;
  siginfo_t si = child_siginfo(tracee, et);
  if (!exit) si.si_status &= 0x7f;  // the kernel's exit_code & 0x7f
  if (syscall(SYS_kill, tracer, SIGCHLD) == 0) sigchld_sent_[tracer] = si;
}

// At a SIGCHLD delivery stop of a tracer rp sent one: rp's own becomes the
// kernel's CLD_TRAPPED one; a kernel's SIGCHLD it merged with stays as it is.
void PtraceRecorder::sigchld_arrived(Task& t, int sig, siginfo_t& si) {
  if (sig != SIGCHLD) return;
  auto it = sigchld_sent_.find(t.tgid);
  if (it == sigchld_sent_.end()) return;
  if (si.si_code == SI_USER && si.si_pid == getpid()) {
    si = it->second;
    ptrace(PTRACE_SETSIGINFO, t.tid, nullptr, &si);
  }
  sigchld_sent_.erase(it);
}

// Follows SA_NOCLDSTOP of each process's SIGCHLD action: read at the
// rt_sigaction entry, kept if the call succeeded. (A forked child inherits
// its parent's; an execve resets a caught action to the default, which
// notify_tracer sees in /proc.)
void PtraceRecorder::note_sigchld_action(Task& t, bool at_entry, int64_t ret) {
  if (t.nr != SYS_rt_sigaction || t.args[0] != SIGCHLD) return;
  if (at_entry) {
    t.sigchld_nocldstop.reset();
    // struct kernel_sigaction starts with the handler, then the flags word.
    if (auto flags = t.args[1] ? t.mem.read_u64(t.args[1] + 8) : std::nullopt)
      t.sigchld_nocldstop = (*flags & SA_NOCLDSTOP) != 0;
    return;
  }
  if (t.sigchld_nocldstop && ret == 0) nocldstop_[t.tgid] = *t.sigchld_nocldstop;
  t.sigchld_nocldstop.reset();
}

// At a wait exit of a kicked thread: true if the call was interrupted and
// will restart (nothing recorded: the program sees one wait4).
bool PtraceRecorder::kicked_wait_ended(Task& t, int64_t ret) {
  send_deferred_sigchld(t, ret);
  if (!t.wait_kicked || ret != -RP_ERESTARTSYS) return false;
  t.entry_seq = 0;
  t.inputs.clear();
  make_runnable(t, 0, true);
  return true;
}

// At the exit of a wait that rp kicked to answer it with a stop (announce),
// where the call ended on its own before the kick took it (a WNOHANG wait
// that found nothing, another child's end): no restart answers the stop, so
// its SIGCHLD goes now. A tracer that waits with WNOHANG only after SIGCHLD
// (gdb: a handler, then poll) otherwise never learnt of the stop.
void PtraceRecorder::send_deferred_sigchld(Task& waiter, int64_t ret) {
  if (!waiter.wait_kicked || ret == -RP_ERESTARTSYS ||
      (waiter.nr != SYS_wait4 && waiter.nr != SYS_waitid))
    return;
  for (auto& [tracee, et] : emu_)
    if (et.tracer_tgid == waiter.tgid && std::exchange(et.sigchld_deferred, false))
      notify_tracer(tracee, et);
}

// rp's kick arriving (its SIGSTOP's stop): not delivered, not recorded. A
// PTRACE_INTERRUPT'ed tracee (events-only) is held here, and its tracer
// told of the stop now if it was not yet.
bool PtraceRecorder::take_kick(Task& t) {
  if (!t.wait_kicked) return false;
  t.wait_kicked = false;
  auto it = emu_.find(t.tid);
  if (it == emu_.end()) {
    make_runnable(t, 0, true);
    return true;
  }
  EmuTracee& et = it->second;
  if (et.interrupt_pending) {
    et.group_stopped = stopping_.count(t.tgid) != 0;
    et.held = EmuStop::kVirtual;
    hold(t);
    report_stop(t.tid, et, EmuStop::kVirtual);
  } else if (kernel_ && et.stop == EmuStop::kVirtual && et.held == EmuStop::kNone) {
    et.held = EmuStop::kVirtual;
    hold(t);
  } else {
    make_runnable(t, 0, true);
  }
  return true;
}

// At a stop of t: true if t is an emulated tracee its tracer must see stop
// here; rp then holds it.
bool PtraceRecorder::hold_for_tracer(Task& t, EmuStop where, int sig, const siginfo_t* si,
                                     bool at_syscall) {
  auto it = emu_.find(t.tid);
  if (it == emu_.end()) return false;
  EmuTracee& et = it->second;
  bool virtual_stop = et.stop == EmuStop::kVirtual;
  if (where != EmuStop::kSignal && !et.syscall_stops && !virtual_stop) return false;
  // Resumed by PTRACE_SYSEMU, a thread stops at syscall entries only.
  if (where == EmuStop::kSyscallExit && et.sysemu && !virtual_stop) return false;
  if (where == EmuStop::kSyscallEntry) et.entry_emulated = et.sysemu;
  if (where == EmuStop::kSignal) {
    et.si = *si;
    et.si.si_signo = sig;
    et.at_syscall = at_syscall;
    // A fault in user code: its tracer reads and writes the thread there
    // (a debugger at its breakpoint), and other processes see the memory it
    // wrote up to there. Replay must bring it there before the tracer's
    // wait returns: an event says where (nothing is delivered).
    et.at_fault = !at_syscall && own_fault(sig, si->si_code);
    if (et.at_fault) record_signal(t, sig, *si, 0, kSigHeld);
  }
  hold_and_report(t, et, where);
  return true;
}

// Holds emulated tracee t at `where` for its tracer and reports the stop,
// unless PTRACE_INTERRUPT stopped it already: then the tracer learns of it
// when it resumes it (resume_tracee).
void PtraceRecorder::hold_and_report(Task& t, EmuTracee& et, EmuStop where) {
  bool virtual_stop = et.stop == EmuStop::kVirtual;
  et.held = where;
  hold(t);
  if (!virtual_stop) report_stop(t.tid, et, where);
}

// t, held by rp in a group-stop (hold_stopped), or seized there: an emulated
// tracee's tracer sees that stop, as the kernel reports it to a tracer.
void PtraceRecorder::report_group_stop(Task& t) {
  auto it = emu_.find(t.tid);
  if (t.run != Run::kStopped || it == emu_.end() || it->second.stop != EmuStop::kNone) return;
  it->second.held = EmuStop::kGroupStop;
  // Listening already (PTRACE_LISTEN at the interrupt stop that reported
  // this group-stop): held, nothing new for its tracer until it ends.
  if (!it->second.listening) report_stop(t.tid, it->second, EmuStop::kGroupStop);
}

// At t's PTRACE_EVENT_* stop: an emulated tracee whose tracer set that
// event's option stops there for it (the event's message as the kernel
// gives it: the exit status, the new child's pid, the former tid after an
// exec from another thread); resumed, it goes on from there (an exiting one
// dies on: task_dying). A new child it made is traced by the same tracer
// (adopt_new_tracee).
bool PtraceRecorder::hold_at_event(Task& t, int event, unsigned long msg) {
  auto it = emu_.find(t.tid);
  if (it == emu_.end() || !(it->second.options & event_option(event))) return false;
  EmuTracee& et = it->second;
  if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE)
    adopt_new_tracee(et, static_cast<pid_t>(msg));
  et.event = event;
  et.event_msg = msg;
  hold_and_report(t, et, EmuStop::kEvent);
  return true;
}

// `child`, new, is the tracee of its creator's tracer, with its options
// (the kernel's auto-attach). Its first stop is held for that tracer
// (hold_new_tracee), now if it came first.
void PtraceRecorder::adopt_new_tracee(const EmuTracee& creator, pid_t child) {
  if (emu_.count(child)) return;
  EmuTracee& et = emu_[child];
  et.tracer_tgid = creator.tracer_tgid;
  et.seized = creator.seized;
  et.options = creator.options;
  et.first_stop_pending = true;
  auto c = tasks_.find(child);
  if (c != tasks_.end() && c->second.initial_stop_deferred) {
    c->second.initial_stop_deferred = false;
    if (!hold_new_tracee(c->second)) make_runnable(c->second, 0, false);
  }
}

// A new thread's first SIGSTOP stop (rp's kicks wait for it: kick). Held if
// it is an emulated tracee from its start, kept until its creator's fork
// event if that may make it one, else the kick's or let go.
void PtraceRecorder::take_first_stop(Task& t) {
  learn_segv_mask(t);  // its creator's
  if (hold_new_tracee(t)) {
    t.wait_kicked = false;  // stopped for its tracer, before any call
    return;
  }
  if (t.adopted_early && new_tracees_possible()) {
    t.initial_stop_deferred = true;  // its creator's fork event decides
    if (std::exchange(t.wait_kicked, false)) kick(t);  // a stop of its own, after
    return;
  }
  if (!take_kick(t)) make_runnable(t, 0, false);
}

// A new thread's first stop: held if it is an emulated tracee from its start.
bool PtraceRecorder::hold_new_tracee(Task& t) {
  auto it = emu_.find(t.tid);
  if (it == emu_.end() || !it->second.first_stop_pending) return false;
  it->second.first_stop_pending = false;
  it->second.held = EmuStop::kNewChild;
  hold(t);
  report_stop(t.tid, it->second, EmuStop::kNewChild);
  return true;
}

// Whether a new thread whose creator is not known yet (its first stop came
// before the creator's fork event) must wait for that event: some emulated
// tracer traces its tracees' children.
bool PtraceRecorder::new_tracees_possible() const {
  for (const auto& [tid, et] : emu_)
    if (et.options & kEmuChildOptions) return true;
  return false;
}

void PtraceRecorder::resume_tracee(pid_t pid, EmuTracee& et, int sig, bool detach) {
  EmuStop held = et.held, was = et.stop;
  const bool emulated = held == EmuStop::kSyscallEntry && std::exchange(et.entry_emulated, false);
  int held_event = et.event;
  bool at_syscall = et.at_syscall;
  et.stop = et.held = EmuStop::kNone;
  et.reported = false;
  if (detach) {
    et.syscall_stops = false;
  } else if (was == EmuStop::kVirtual && held != EmuStop::kNone && held != EmuStop::kVirtual &&
             (held == EmuStop::kSignal || held == EmuStop::kEvent || held == EmuStop::kNewChild ||
              et.syscall_stops)) {
    // It reached a stop of its own while reported stopped: report that now.
    et.held = held;
    report_stop(pid, et, held);
    return;
  }
  Task& t = tasks_[pid];
  bool syscall_stops = et.syscall_stops;
  if (detach) emu_.erase(pid);  // et is gone from here on
  switch (held) {
    case EmuStop::kNone:  // never held (a PTRACE_INTERRUPT stop)
      if (kernel_ && syscall_stops) kick(t);  // its syscall stops start at the kick's stop
      break;
    case EmuStop::kVirtual: make_runnable(t, 0, true); break;  // held at rp's kick
    case EmuStop::kSyscallEntry:
      take_held_call(t, emulated);
      enter_kernel(t);
      break;
    case EmuStop::kSyscallExit: make_runnable(t, 0, false); break;
    case EmuStop::kEvent:  // inside its call, but the exit's
      if (held_event == PTRACE_EVENT_EXIT) task_dying(t); else enter_kernel(t);
      break;
    case EmuStop::kNewChild: make_runnable(t, 0, false); break;  // before its first instruction
    case EmuStop::kGroupStop:  // resumed out of the group-stop
      if (auto it = emu_.find(pid); it != emu_.end()) it->second.continued = false;
      make_runnable(t, 0, true);
      break;
    default:
      if (sig) {
        siginfo_t si{};
        ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si);
        if (sig != si.si_signo) {  // as the kernel rewrites it for an injected signal
          std::memset(&si, 0, sizeof si);
          si.si_signo = sig;
          si.si_code = SI_USER;
          ptrace(PTRACE_SETSIGINFO, pid, nullptr, &si);
        }
        record_signal(t, sig, si, at_syscall);
      }
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
        stopping_.insert(t.tgid);  // its group-stop is held (hold_stopped) and reported
      make_runnable(t, sig, true);
      break;
  }
}

void PtraceRecorder::emu_task_gone(pid_t tid, pid_t tgid, int status) {
  if (!report_exit(tid, status)) emu_.erase(tid);
  bool last = true;
  for (const auto& [other, t] : tasks_) last = last && t.tgid != tgid;
  if (last) {
    sigchld_sent_.erase(tgid);
    nocldstop_.erase(tgid);
  }
  bool process_gone = !emu_.empty();
  for (const auto& [other, t] : tasks_)
    if (process_gone && t.tgid == tgid) process_gone = false;
  if (process_gone) {
    // Its tracees are detached and run on, as the kernel does (which drops
    // a signal they were held for).
    std::vector<pid_t> orphans;
    for (auto& [tracee, et] : emu_)
      if (et.tracer_tgid == tgid) orphans.push_back(tracee);
    for (pid_t tracee : orphans) {
      EmuTracee& et = emu_[tracee];
      if (et.stop == EmuStop::kExited || !tasks_.count(tracee)) {  // nobody waits for it now
        emu_.erase(tracee);
        continue;
      }
      if (et.options & PTRACE_O_EXITKILL) {
        syscall(SYS_tgkill, tasks_[tracee].tgid, tracee, SIGKILL);
        emu_.erase(tracee);
        continue;
      }
      resume_tracee(tracee, et, 0, true);
    }
  }
}

void PtraceRecorder::trap_after_exec(Task& t) {
  // A PTRACE_TRACEME'd or attached (not seized) thread gets SIGTRAP after a
  // successful execve, unless its tracer asked for the exec event instead;
  // its tracer usually waits for that stop.
  auto it = emu_.find(t.tid);
  if (it != emu_.end() && !it->second.seized && !(it->second.options & PTRACE_O_TRACEEXEC))
    syscall(SYS_tgkill, t.tgid, t.tid, SIGTRAP);
}

// Events-only mode (kernel backends): rp runs the threads without syscall
// stops; the program's ptrace and sigaction(SIGCHLD, act) stop at rp's
// seccomp filter (common/sandbox.h). Syscall stops, for these threads only:
// a call rp answers or watches (its exit), the threads of a process that has
// emulated tracees (their waits), an emulated tracee resumed by PTRACE_SYSCALL.
bool PtraceRecorder::emulation_stops(const Task& t) const {
  if (t.in_syscall && (t.forced_ret || t.sigchld_nocldstop)) return true;
  auto it = emu_.find(t.tid);
  if (it != emu_.end() && it->second.syscall_stops) return true;
  for (const auto& [tid, et] : emu_)
    if (et.tracer_tgid == t.tgid) return true;
  return false;
}

// Events-only: a call held at an entry or seccomp stop starts here, none of
// the thread's previous call's state kept.
void PtraceRecorder::begin_stopped_call(Task& t) {
  t.in_syscall = true;
  t.emulated_by_tracer = false;
  t.entry_seq = 0;
  t.have_exit_regs = false;
  t.inputs.clear();
  t.in_hash.reset();
  t.forced_ret.reset();
  t.forced_mem.clear();
}

// Events-only: the entry of a call rp answers is numbered here (the kernel
// side sees no entry of a call skipped in the kernel): with the number the
// kernel side took as the thread stopped, before other threads ran on
// (rp_switch_rules.h, rp_stop_numbers_entry), else now.
uint64_t PtraceRecorder::entry_number(Task& t) {
  const uint64_t at_stop = kernel_->entry_stop_seq(t.tid);
  return at_stop ? at_stop : kernel_->next_seq();
}

void PtraceRecorder::number_entry(Task& t) {
  t.entry_seq = entry_number(t);
  t.t_entry = stop_ns();
  if (const SyscallSpec* s = syscall_spec(t.nr)) read_entry(t, *s);
}

// Events-only: an entry (or seccomp) stop emulation_stops asked for. A call
// rp answers is skipped in the kernel, so the kernel side records nothing of
// it: rp numbers and records it, its entry here and its exit at the exit stop.
void PtraceRecorder::emulation_entry(Task& t) {
  begin_stopped_call(t);
  note_sigchld_action(t, true, 0);
  if (t.nr == SYS_ptrace) {
    number_entry(t);  // before what the request records (a signal it lets through)
    // Its event's number too, before the request lets a tracee run: what
    // the tracee does then (a switch the kernel side numbers at once) comes
    // after the resume in replay, which makes it at this event. Not for a
    // tracer traced in turn, which its own tracer may hold at this entry.
    if (!emu_.count(t.tid)) t.exit_seq = kernel_->next_seq();
    emulate_ptrace(t);
  } else if (t.nr == SYS_wait4 || t.nr == SYS_waitid) {
    emulate_wait(t);
    if (t.wait_held) {  // numbered when answered
      hold(t);
      return;
    }
    if (t.forced_ret) number_entry(t);
  } else if (t.nr == -1) {
    // The program's own syscall(-1) (rr's tests mark points so): at an
    // entry stop the kernel side takes a -1 for a call rp skipped and
    // records nothing (skipped_at_entry_stop), so rp records it. It fails
    // with ENOSYS, as without a tracer.
    number_entry(t);
    t.forced_ret = -ENOSYS;
  }
  // Held for the tracer: the entry's number is the one the kernel side
  // took at this stop, which its sys_enter uses, or take_held_call if the
  // tracer skips the call.
  if (hold_for_tracer(t, EmuStop::kSyscallEntry, 0, nullptr, false)) return;
  enter_kernel(t);
}

// As a tracee held at a syscall-entry stop goes on, the call it makes is the
// one its registers name now: its tracer may have changed it there
// (PTRACE_SETREGS: another call, or -1 to skip it, as syscall emulators do)
// or made it in its place (PTRACE_SYSEMU: rp skips it now). The kernel
// backends' entry hooks run after the stop and see the change; the ptrace
// backend reads the call again, under the same entry number. A skipped or
// emulated call is recorded by rp as a call it answers, its result what
// the tracer left in the return register; under a kernel backend, whose
// side records no -1 at an entry stop (rp.bpf.c, skipped_at_entry_stop),
// under the entry number the kernel side took at the stop.
void PtraceRecorder::take_held_call(Task& t, bool emulated) {
  Regs regs;
  if (!regs.read(t.tid)) return;
  const int64_t nr = kernel_syscall_nr(t.tid, regs);
  uint64_t args[6];
  for (int i = 0; i < 6; i++) args[i] = regs.arg(i);
  if (!kernel_ && (nr != t.nr || !std::equal(args, args + 6, t.args))) {
    t.nr = nr;
    std::copy(args, args + 6, t.args);
    read_call(t);
  }
  if (t.forced_ret || (nr != -1 && !emulated)) return;
  if (kernel_) {
    t.entry_seq = entry_number(t);
    t.t_entry = stop_ns();
    t.nr = nr;
    std::copy(args, args + 6, t.args);
  }
  if (nr != -1) {
    t.emulated_by_tracer = true;
    t.inputs.clear();  // no input was read: the tracer made the call
    t.in_hash.reset();
    Regs::set_syscall_nr(t.tid, regs, -1);
  }
  t.forced_ret = regs.ret();
}

// Events-only, at an exit stop: true if the kernel side recorded the call
// (rp let it run); false for a call rp answered, which on_syscall_exit records.
bool PtraceRecorder::emulation_exit(Task& t) {
  if (t.forced_ret) return false;
  t.in_syscall = false;
  Regs regs;
  const int64_t ret = regs.read(t.tid) ? regs.ret() : -EFAULT;
  send_deferred_sigchld(t, ret);
  note_sigchld_action(t, false, ret);
  if (!hold_for_tracer(t, EmuStop::kSyscallExit, 0, nullptr, false)) make_runnable(t, 0, true);
  return true;
}

// Events-only: rp's SIGSTOP brings a running thread to a stop (out of a
// blocking call, which the kernel restarts), from where it runs with the
// syscall stops emulation_stops gives it.
void PtraceRecorder::kick(Task& t) {
  if (t.wait_kicked) return;
  t.wait_kicked = true;
  // A new thread's first stop is still to come: a SIGSTOP now could merge
  // with the one it starts with and be lost; that stop is the kick's
  // (take_first_stop).
  if (t.initial_stop_pending) return;
  syscall(SYS_tgkill, t.tgid, t.tid, SIGSTOP);
}

// Process tgid got its first emulated tracee: its threads (but `except`, at
// a stop now) are kicked, so that its waits stop from now on.
void PtraceRecorder::kick_tracer(pid_t tgid, pid_t except) {
  if (!kernel_) return;
  int tracees = 0;
  for (const auto& [tid, et] : emu_) tracees += et.tracer_tgid == tgid;
  if (tracees != 1) return;
  for (auto& [tid, t] : tasks_)
    if (t.tgid == tgid && tid != except) kick(t);
}

}  // namespace rp
