#include "ptrace_recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <utility>

#include "blob.h"
#include "clone_untraced.h"
#include "ignored_restart.h"
#include "point_digest.h"
#include "inject.h"
#include "ring.h"
#include "exec_files.h"
#include "exec_identity.h"
#include "fork_copy.h"
#include "mapped_file.h"
#include "kernel_facts.h"
#include "insn.h"
#include "error.h"
#include "syscall_table.h"
#include "shm_segment.h"
#include "stop_signals.h"
#include "tracee.h"
#include "unique_fd.h"
#include "counter_patch.h"
#include "cpu_pin.h"
#include "cpuid_trap.h"
#include "kernel_capture.h"  // events-only mode
#include "sandbox.h"
#include "tracer_tsc.h"

namespace rp {

// VFORKDONE only for a program's own tracer that asks for it (hold_at_event):
// a stop per vfork, which rp itself does not need.
long PtraceRecorder::ptrace_options() {
  return PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
         PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXEC |
         PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL;
}

namespace {

// The process a task belongs to, as the kernel says; `fallback` if it cannot
// tell (the task is gone).
pid_t tgid_of(pid_t tid, pid_t fallback) {
  return static_cast<pid_t>(proc_status_field(tid, "Tgid", 10).value_or(fallback));
}

}  // namespace

std::vector<pid_t> PtraceRecorder::processes() const {
  std::set<pid_t> tgids;
  for (const auto& [tid, t] : tasks_) tgids.insert(t.tgid);
  return {tgids.begin(), tgids.end()};
}

bool PtraceRecorder::records_process(pid_t tgid) const {
  for (const auto& [tid, t] : tasks_)
    if (t.tgid == tgid) return true;
  return false;
}

bool PtraceRecorder::records_in_group(pid_t group) const {
  pid_t last = 0;
  for (const auto& [tid, t] : tasks_) {
    if (t.tgid == last) continue;  // most threads follow their process's others
    last = t.tgid;
    if (getpgid(t.tgid) == group) return true;
  }
  return false;
}

void PtraceRecorder::kill_all_for_end() {
  for (const auto& [tid, t] : tasks_)
    if (killed_.insert(t.tgid).second) kill(t.tgid, SIGKILL);
}

std::vector<pid_t> PtraceRecorder::tids() const {
  std::vector<pid_t> v;
  for (const auto& [tid, t] : tasks_) v.push_back(tid);
  return v;
}

PtraceRecorder::Task& PtraceRecorder::add_task(pid_t tid, pid_t tgid, pid_t parent) {
  // The tid of a tracee that ended unwaited for by its emulated tracer, used
  // again (where the kernel would keep it a zombie until then): a new task.
  if (auto gone = emu_.find(tid); gone != emu_.end() && gone->second.stop == EmuStop::kExited)
    emu_.erase(gone);
  Task& t = tasks_[tid];
  t.tid = tid;
  t.tgid = tgid;
  t.slot = tgid;
  note_recorded_thread(tid, tgid);
  t.mem = Tracee(tid);
  auto creator = tasks_.find(parent);  // a new process inherits its parent's SIGCHLD action
  if (tid == tgid && creator != tasks_.end() && nocldstop_.count(creator->second.tgid))
    nocldstop_[tgid] = nocldstop_[creator->second.tgid];
  auto lk = q_.lock_writer();
  w_.add_task(TaskInfo{tid, tgid, parent, (kernel_ ? kernel_->last_seq() : seq_) + 1,
                       std::nullopt});
  // In a pid namespace of its own the kernel wrote that namespace's number at
  // a new process's CLONE_CHILD_SETTID pointer (glibc caches it as its tid),
  // not the one its creator's clone returned: replay writes this one.
  const std::vector<pid_t> pids = namespace_pids(proc_status(tid));
  if (!pids.empty() && pids.back() != tid)
    w_.add_list_item(kNamespaceTids, std::to_string(tid) + " " + std::to_string(pids.back()));
  return t;
}

Event PtraceRecorder::new_event(const Task& t, EventKind kind) {
  Event e;
  // A signal stop the kernel side numbered when it began keeps that number.
  const uint64_t taken = kind == EventKind::kSyscall ? t.exit_seq : 0;
  e.seq = stop_seq_ ? stop_seq_ : taken ? taken : kernel_ ? kernel_->next_seq() : ++seq_;
  stop_seq_ = 0;
  e.tid = t.tid;
  e.kind = kind;
  e.t_exit = stop_ns();  // this stop
  if (kind == EventKind::kSyscall && t.entry_seq && t.t_entry) e.t_entry = std::min(t.t_entry, *e.t_exit);
  return e;
}

void PtraceRecorder::resume(pid_t tid, int sig) {
  // Events-only: syscall stops only where the emulated ptrace needs them.
  auto it = tasks_.find(tid);
  bool stops = !kernel_ || (it != tasks_.end() && emulation_stops(it->second));
  if (!stops && it != tasks_.end()) it->second.in_syscall = false;  // no exit stop will say so
  // An exec event: on to its exit stop, where cpuid is made to fault.
  if (it != tasks_.end() && it->second.cpuid_fault_due) stops = true;
  __ptrace_request req = stops ? PTRACE_SYSCALL : PTRACE_CONT;
  if (it != tasks_.end() && std::exchange(it->second.step_next, false)) req = PTRACE_SINGLESTEP;
  // ESRCH: the task was killed meanwhile (e.g. by another thread's
  // exit_group); its exit is reported by waitpid.
  ptrace(req, tid, nullptr, sig);
}

namespace {

constexpr int kRingTickMs = 50;
constexpr int kRingRetryMs = 2;
constexpr int64_t kGraceUs = 1000;       // a syscall holding its process's slot
constexpr int64_t kTimesliceUs = 50000;  // user code before preemption, if others wait
constexpr int64_t kStopPollUs = 5000;    // a stopped thread's SIGCONT looked for
constexpr int64_t kDyingInitPollUs = 2000;  // a detached init's end looked for

int64_t now_us() { return tracer_clock_ns(CLOCK_MONOTONIC) / 1000; }


}  // namespace

void PtraceRecorder::enter_kernel(Task& t) {
  const bool skipped = std::exchange(t.skip_at_enter, false);
  if (skipped) skip_call(t, *t.forced_ret);
  t.run = Run::kInKernel;
  Group& g = groups_[t.slot];
  if (g.holder == t.tid) {
    g.holder_in_kernel = true;
    g.yield_target = false;
    // No grace period ends an exit: between its entry and PTRACE_EVENT_EXIT
    // nothing records where the kernel will clear the tid and wake
    // pthread_join, so a sibling running user code meanwhile would see the
    // tid either set or cleared by timing alone (replay: the cleared one).
    // Nor a fork that copies the process's memory: a sibling running then
    // would put its writes in the child or not by timing alone, where replay
    // makes the fork at its entry (conformance fork_sibling_writes). It waits
    // for nothing a sibling in user code could hold (vfork, which waits for
    // its child, is not one).
    const SyscallSpec* s = syscall_spec(t.nr);
    g.holder_keeps = (s && s->policy == RP_POLICY_EXIT) || fork_copies_memory(t.nr, t.args[0]);
    g.since_us = stop_ns() / 1000;
    if (t.nr == SYS_sched_yield && !g.runnable.empty()) {
      // It asks for another thread to run: one waiting gets the slot now,
      // not a grace period later (two threads taking turns by yielding made
      // thousands of calls per turn, a recording of seconds for 200 turns).
      resume(t.tid, 0);
      release_slot(t);
      schedule(g);
      return;
    }
    if (t.nr == SYS_sched_yield) {
      if (Task* y = sibling_in_yield(t)) {
        // None waits, but a sibling is in a sched_yield of its own: to the
        // kernel it is runnable (a yield never sleeps), only its exit stop
        // has not reached rp yet. It gets the slot, as the kernel would run
        // it now: otherwise this thread went on, and two threads taking
        // turns by yielding ran two turns in a row (rr's sched_yield
        // aborted in 5 of 5 recordings).
        resume(t.tid, 0);
        release_slot(t);
        g.holder = y->tid;
        g.holder_in_kernel = true;
        g.yield_target = true;
        g.since_us = stop_ns() / 1000;
        return;
      }
    }
  }
  // Resumed by leave_output_gate instead, once the output is free.
  if (!kernel_ && !skipped && wait_for_output_gate(t)) return;
  resume(t.tid, 0);
}

void PtraceRecorder::make_runnable(Task& t, int sig, bool front) {
  if (kernel_) {  // events-only: no serialization, every stop resumes at once
    if (holding_) {  // ... but not while the flight recorder holds them (hold_all)
      t.run = Run::kRunnable;
      t.pending_sig = sig;
      return;
    }
    t.run = Run::kRunning;
    resume(t.tid, sig);
    return;
  }
  release_slot(t);
  t.run = Run::kRunnable;
  t.pending_sig = sig;
  t.runnable_since_us = now_us();
  if (sig) t.segv_blocked.reset();  // a handler may block it: not followed
  Group& g = groups_[t.slot];
  if (front)
    g.runnable.insert(g.runnable.begin(), t.tid);
  else
    g.runnable.push_back(t.tid);
  schedule(g);
}

// The next thread in line has waited a timeslice: the holder, at the exit of
// a call it kept the slot through, goes to the back. Without this a thread
// whose calls each returned within the grace period (a read every
// millisecond) held the slot for good: neither the grace period nor the
// timeslice of user code ever ran out, and a sibling woken meanwhile waited
// until rp happened to be late to a stop (conformance fault_beside_busy hung).
bool PtraceRecorder::waiter_starved(const Group& g) const {
  for (pid_t tid : g.runnable)
    if (const Task* w = waiting_task(tid)) return now_us() >= w->runnable_since_us + kTimesliceUs;
  return false;
}

// The run queue keeps stale entries (threads gone, or run since): tid's task
// if it still waits for the slot.
const PtraceRecorder::Task* PtraceRecorder::waiting_task(pid_t tid) const {
  auto it = tasks_.find(tid);
  return it != tasks_.end() && it->second.run == Run::kRunnable ? &it->second : nullptr;
}

void PtraceRecorder::release_slot(Task& t) {
  Group& g = groups_[t.slot];
  if (g.holder == t.tid) {
    g.holder = 0;
    g.holder_in_kernel = false;
    g.holder_keeps = false;
    g.yield_target = false;
  }
}

// A thread in a group-stop stays stopped, as it would untraced: resumed, it
// ran on while its parent's waitpid said it was stopped. rp started it with
// PTRACE_TRACEME, so PTRACE_LISTEN is not there to hold it and learn of the
// SIGCONT; the SIGCONT stays pending for a traced thread that the kernel
// does not wake, and continue_stopped looks for it every kStopPollUs.
void PtraceRecorder::hold_stopped(Task& t) {
  // A thread late to report a stop its process was continued from since
  // (SIGCONT taken by a sibling): it goes on.
  if (!stopping_.count(t.tgid)) return make_runnable(t, 0, true);
  release_slot(t);
  t.run = Run::kStopped;
  schedule(groups_[t.slot]);
  report_group_stop(t);
}

void PtraceRecorder::continue_stopped() {
  // Only processes a stop signal was delivered to have threads held stopped
  // (hold_stopped), and /proc is read once a kStopPollUs.
  if (stopping_.empty() || now_us() < stop_poll_at_us_) return;
  stop_poll_at_us_ = now_us() + kStopPollUs;
  // A stop signal pending stands for a SIGCONT too: sending one discards a
  // SIGCONT still pending (the parent may continue and stop it again within
  // a poll), and let go, the thread takes it and stops again. (SIGKILL wakes
  // it by itself: its end comes to waitpid, as does that of a thread gone
  // meanwhile, whose status is unreadable.)
  auto bit = [](int sig) { return uint64_t{1} << (sig - 1); };
  const uint64_t wakes = bit(SIGCONT) | bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
  // Stops and continues are the whole process's: the first of its threads to
  // take a SIGCONT takes it from the others, so all go at once.
  std::set<pid_t> woken, alive;
  for (auto& [tid, t] : tasks_) {
    alive.insert(t.tgid);
    if (t.run != Run::kStopped || woken.count(t.tgid)) continue;
    const std::string status = proc_status(tid);
    auto pnd = status_field(status, "SigPnd", 16), shd = status_field(status, "ShdPnd", 16);
    if (pnd && shd && ((*pnd | *shd) & wakes)) woken.insert(t.tgid);
  }
  std::erase_if(stopping_, [&](pid_t tgid) { return woken.count(tgid) || !alive.count(tgid); });
  for (auto& [tid, t] : tasks_) {
    if (t.run != Run::kStopped || !woken.count(t.tgid)) continue;
    auto et = emu_.find(tid);
    if (et != emu_.end() && et->second.listening) {
      report_group_stop_end(t, et->second);
      continue;
    }
    if (et != emu_.end() && et->second.held == EmuStop::kGroupStop) {
      et->second.continued = true;  // only its tracer's resume or LISTEN lets it go
      continue;
    }
    make_runnable(t, 0, true);
  }
}

// A SIGCONT ended the group-stop t's tracer listens through: a
// PTRACE_EVENT_STOP carrying SIGTRAP, as the kernel reports it.
void PtraceRecorder::report_group_stop_end(Task& t, EmuTracee& et) {
  et.listening = et.continued = false;
  hold(t);
  et.group_stopped = false;
  et.held = EmuStop::kVirtual;  // resumed, it runs (and takes the SIGCONT)
  report_stop(t.tid, et, EmuStop::kVirtual);
}

void PtraceRecorder::schedule(Group& g) {
  if (holding_) return;  // a snapshot is being taken (ring_snapshot)
  while (g.holder == 0 && !g.runnable.empty()) {
    pid_t tid = g.runnable.front();
    g.runnable.erase(g.runnable.begin());
    if (!waiting_task(tid)) continue;
    Task& t = tasks_.at(tid);
    g.holder = tid;
    g.holder_in_kernel = false;
    g.holder_keeps = false;
    g.yield_target = false;
    g.since_us = stop_ns() / 1000;
    t.run = Run::kRunning;
    resume(tid, t.pending_sig);
    t.pending_sig = 0;
  }
}

int64_t PtraceRecorder::next_deadline_us() {
  int64_t best = stopping_.empty() ? -1 : std::max(stop_poll_at_us_, now_us());
  if (!dying_inits_.empty()) {  // looked at every few ms until they are gone
    int64_t d = now_us() + kDyingInitPollUs;
    if (best < 0 || d < best) best = d;
  }
  for (auto& [slot, g] : groups_) {
    if (!g.holder || g.runnable.empty() || g.holder_keeps) continue;
    int64_t d = g.since_us +
                (g.holder_in_kernel && !g.yield_target ? kGraceUs : kTimesliceUs);
    if (best < 0 || d < best) best = d;
  }
  return best;
}

// Whether the slot's holder is in a call that sends bytes (a write: replay
// prints those to the program's outputs in the recorded order) and is not
// asleep in the kernel: still running, waiting for a CPU ('R'), or at its
// exit stop not yet collected ('t'). A sibling let run meanwhile could make
// its own writes after this one's and have them numbered first (the single
// CPU arm64 VM, samples/threads: replayed lines in another order, no
// divergence). Any other call gives the slot up after the grace period: its
// order against a sibling's user code is the order of its numbered return,
// and a holder starved of CPU (tests/integration/starved_return.sh) must not
// stop its siblings.
bool PtraceRecorder::sends_bytes_busy(pid_t holder) const {
  auto it = tasks_.find(holder);
  if (it == tasks_.end() || !it->second.in_hash) return false;
  char state = proc_task_state(holder);
  return state == 'R' || state == 't';
}

void PtraceRecorder::handle_timeouts() {
  continue_stopped();
  int64_t now = now_us();
  for (auto& [slot, g] : groups_) {
    if (!g.holder || g.runnable.empty() || g.holder_keeps) continue;
    if (g.holder_in_kernel && now >= g.since_us + kGraceUs) {
      if (sends_bytes_busy(g.holder)) {  // look again a grace later
        g.since_us = now;
        continue;
      }
      // Not after a grace period: the turn it was given would go back.
      if (g.yield_target && now < g.since_us + kTimesliceUs) continue;
      g.holder = 0;
      g.holder_in_kernel = false;
      g.yield_target = false;
      schedule(g);
    } else if (!g.holder_in_kernel && now >= g.since_us + kTimesliceUs) {
      auto it = tasks_.find(g.holder);
      if (it != tasks_.end() && !it->second.preempt_requested) {
        it->second.preempt_requested = true;
        syscall(SYS_tgkill, it->second.tgid, g.holder, SIGSTOP);
      }
    }
  }
}

int PtraceRecorder::run(pid_t root) {
  root_ = root;
  outputs_ = output_files_of(root);
  if (kernel_) kernel_->set_outputs(outputs_);
  Task& t = add_task(root, root, getpid());
  // The root is stopped at PTRACE_EVENT_EXEC of its first execve; its exit
  // stop is the trace's first event.
  t.in_syscall = true;
  t.nr = SYS_execve;
  groups_[root].holder = root;
  if (kernel_) {  // events-only: no execve exit stop, do its work at this stop
    Event e;      // (the kernel side records the syscall and AT_RANDOM)
    record_exec(t, e, exec_name(t.tid));
    // Its path is the trace's exe_path.
    kernel_->note_exec(t.tid, "", exec_identity(t), t.cpuid_fault_due);
  }
  enter_kernel(t);
  return loop();
}

int PtraceRecorder::run_attached(pid_t tgid, const std::vector<pid_t>& tids,
                                 const sigset_t& detach_on, DetachHook before_detach) {
  root_ = tgid;
  outputs_ = output_files_of(tgid);
  if (kernel_) kernel_->set_outputs(outputs_);
  detach_on_ = detach_on;
  before_detach_ = std::move(before_detach);
  groups_[tgid];
  for (pid_t tid : tids) add_task(tid, tgid, 0);
  // Each is held in its attach stop, with a syscall it was in rewound to be
  // made again (inject.h): its entry is the thread's first recorded stop.
  for (pid_t tid : tids) make_runnable(tasks_[tid], 0, false);
  return loop();
}

int PtraceRecorder::loop() {
  // Stops are collected without blocking; between them rp sleeps in poll on
  // a signalfd for SIGCHLD, with a timeout for the scheduler's deadlines.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (detach_on_)
    for (int sig = 1; sig < NSIG; sig++)
      if (sigismember(&*detach_on_, sig) == 1) sigaddset(&chld, sig);
  if (save_) sigaddset(&chld, SIGUSR2);
  ScopedSignalMask block_chld(SIG_BLOCK, chld);
  unique_fd sigchld(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigchld) throw_errno("signalfd");
  sigchld_fd_ = sigchld.get();
  // The flight recorder and a kernel backend's writer thread use the
  // TraceWriter directly: events are written at once then.
  if (!kernel_ && !ring_) q_.start();
  // Every stop switches between this thread and the program: this thread
  // traps rdtsc (and cpuid) like the program, so a switch writes no CR4
  // (MSR), and runs on the program's CPU, so no stop wakes the other CPU
  // (tracer_tsc.h, docs/backends.md). After q_.start: the writer thread
  // would inherit both.
  TracerTsc tsc(trap_cpuid_);
  if (tracer_cpu_ >= 0) pin_to_cpu(static_cast<pid_t>(syscall(SYS_gettid)), tracer_cpu_);

  while (!tasks_.empty()) {
    int status;
    pid_t tid = waitpid(-1, &status, __WALL | (may_block_in_wait() ? 0 : WNOHANG));
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      throw_errno("waitpid");
    }
    if (recording_end_requested()) kill_all_for_end();
    if (tid > 0) {
      tsc.rearm();
      reap_dying_inits();  // their ends come before what their parents see of them
      // Events-only: the kernel capture's writer thread shares the TraceWriter.
      std::unique_lock<std::mutex> lk;
      if (kernel_) {
        kernel_->wait_room();  // before the lock: the writer needs it to make room
        lk = kernel_->lock_writer();
      }
      handle_stop(tid, status);
      continue;
    }
    int64_t deadline = next_deadline_us();
    int timeout_ms = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_us();
      timeout_ms = left <= 0 ? 0 : static_cast<int>((left + 999) / 1000);
    }
    // A kernel backend's flight recorder looks at the trace's size on a timer.
    // Between ticks, the drain thread wakes it when a snapshot comes due; one
    // put off (a thread not holdable) is tried again soon.
    int tick_ms = ring_retry_ ? kRingRetryMs : kRingTickMs;
    if (kernel_ && ring_ && (timeout_ms < 0 || timeout_ms > tick_ms)) timeout_ms = tick_ms;
    pollfd p[2] = {{sigchld_fd_, POLLIN, 0}, {ring_wake_fd_, POLLIN, 0}};
    if (timeout_ms != 0) poll(p, ring_wake_fd_ >= 0 && !ring_retry_ ? 2 : 1, timeout_ms);
    signalfd_siginfo si;
    bool detach = false, save = false;
    while (read(sigchld_fd_, &si, sizeof si) == sizeof si) {
      if (detach_on_ && sigismember(&*detach_on_, static_cast<int>(si.ssi_signo)) == 1)
        detach = true;
      if (save_ && si.ssi_signo == SIGUSR2) save = true;
    }
    if (save && kernel_) save_pending_ = true;  // kernel_ring_tick, every thread held
    else if (save) save_();
    if (detach) {
      detach_all();
      break;
    }
    reap_dying_inits();
    handle_timeouts();
    if (kernel_ && ring_) kernel_ring_tick();
  }
  sigchld_fd_ = -1;
  q_.finish();  // the caller's TraceWriter again
  return root_status_;
}

// Nothing but a stop can need rp: no deadline, no signal but SIGCHLD watched,
// no kernel side to serve. Then rp sleeps in waitpid itself, as strace does,
// instead of waitpid + poll + read of the signalfd per stop. A SIGCHLD left
// pending in the signalfd meanwhile only makes a later poll return at once.
bool PtraceRecorder::may_block_in_wait() {
  return !kernel_ && !detach_on_ && !save_ && next_deadline_us() < 0;
}

void PtraceRecorder::detach_all() {
  if (kernel_) kernel_->stop_producer();
  // Every thread to a stop: those rp holds already are; the others are
  // interrupted and waited for (their first stop, whatever it is).
  std::vector<pid_t> stopped;
  std::vector<std::pair<pid_t, int>> signals;  // held back at a signal stop: sent again
  for (auto& [tid, t] : tasks_) {
    if (t.run == Run::kDying) continue;
    if (t.run == Run::kRunnable || t.run == Run::kStopped) {  // left stopped if it was
      stopped.push_back(tid);
      if (t.pending_sig) signals.emplace_back(tid, t.pending_sig);
      continue;
    }
    int resend = 0;
    if (!stop_for_detach(tid, &resend)) continue;  // it ended meanwhile
    if (resend) signals.emplace_back(tid, resend);
    stopped.push_back(tid);
  }
  if (before_detach_) before_detach_(stopped);
  for (pid_t tid : stopped) ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
  for (auto [tid, sig] : signals) syscall(SYS_tkill, tid, sig);
  tasks_.clear();
  groups_.clear();
  detached_ = true;
}

namespace {

// SIGSTOP is pending for thread tid (its own or its process's).
bool sigstop_pending(pid_t tid) {
  const uint64_t bit = uint64_t{1} << (SIGSTOP - 1);
  const std::string status = proc_status(tid);
  for (const char* field : {"SigPnd", "ShdPnd"})
    if (status_field(status, field, 16).value_or(0) & bit) return true;
  return false;
}

}  // namespace

// A stop of rp's own that a kick may have merged with (one SIGSTOP pending
// at a time): the kick's too unless its SIGSTOP is still pending.
bool PtraceRecorder::take_merged_kick(Task& t) {
  return t.wait_kicked && !sigstop_pending(t.tid) && take_kick(t);
}

bool PtraceRecorder::stop_for_detach(pid_t tid, int* resend) {
  *resend = 0;
  ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
  // Events-only: a SIGSTOP of the producer's (a stall) is taken here, its
  // record completed, and not passed on: it would stop the process after rp
  // left. One still pending behind the interrupt is let in first (a bounded
  // number of times: a thread may also be dying meanwhile).
  for (int tries = 0;; tries++) {
    int status;
    pid_t r;
    do r = waitpid(tid, &status, __WALL);
    while (r < 0 && errno == EINTR);
    if (r < 0 || !WIFSTOPPED(status)) return false;
    if ((status >> 16) == PTRACE_EVENT_EXIT) {  // on its way out: nothing to undo in it
      ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
      return false;
    }
    int sig = WSTOPSIG(status);
    bool signal_stop = (status >> 16) == 0 && sig != (SIGTRAP | 0x80);
    if (kernel_ && signal_stop && sig == SIGSTOP) {
      auto lk = kernel_->lock_writer();
      if (kernel_->on_stop_signal(tid)) return true;
    }
    if (kernel_ && !signal_stop && tries < 8 && sigstop_pending(tid)) {
      ptrace(PTRACE_CONT, tid, nullptr, 0);
      continue;
    }
    siginfo_t si;
    if (signal_stop && ptrace(PTRACE_GETSIGINFO, tid, nullptr, &si) == 0) *resend = sig;
    return true;
  }
}

void PtraceRecorder::emit(Event&& e) {
  if (kernel_)
    kernel_->add_event(std::move(e));
  else
    q_.add(std::move(e));
}

int64_t PtraceRecorder::stop_ns() {
  if (!stop_ns_) stop_ns_ = tracer_clock_ns(CLOCK_MONOTONIC);
  return stop_ns_;
}

void PtraceRecorder::handle_stop(pid_t tid, int status) {
  struct StopTime {  // read once per stop, fresh outside stops
    int64_t& ns;
    explicit StopTime(int64_t& n) : ns(n) { ns = 0; }
    ~StopTime() { ns = 0; }
  } stop_time(stop_ns_);
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    on_task_gone(tid, status);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  auto it = tasks_.find(tid);
  if (it == tasks_.end()) {
    // A new child can report its first stop before its parent reports the
    // fork event; adopt it now.
    Task& n = add_task(tid, tgid_of(tid, tid), 0);
    n.initial_stop_pending = true;
    n.adopted_early = true;
    if (!kernel_) n.slot = slot_for_adopted(n);
    it = tasks_.find(tid);
  }
  Task& task = it->second;
  int sig = WSTOPSIG(status);
  int event = status >> 16;
  if (sig == (SIGTRAP | 0x80)) {
    __ptrace_syscall_info info{};
    if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0) {
      make_runnable(task, 0, true);
      return;
    }
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      if (!native_syscall_arch(info.arch))
        throw Error(foreign_abi_call_error(tid, info.arch, info.entry.nr));
      task.nr = static_cast<int64_t>(info.entry.nr);
      for (int i = 0; i < 6; i++) task.args[i] = info.entry.args[i];
      if (task.nr == RP_NR_RESTART_SYSCALL) restart_args(task.restart, task.args);
      on_syscall_entry(task);
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
      if (task.cpuid_fault_due) fault_cpuid(task);  // events-only: the execve's exit
      if (task.sweep_at_exit) sweep_mapped_code(task, info.exit.rval);
      on_syscall_exit(task);
    } else {
      make_runnable(task, 0, true);
    }
  } else if (sig == SIGTRAP && event != 0) {
    on_ptrace_event(task, event);
  } else {
    on_signal(task, sig);
  }
}

// The path strings, entry lengths and input hash of t's call (t.nr, t.args).
void PtraceRecorder::read_entry(Task& t, const SyscallSpec& s) {
  auto rd = t.mem.word_reader();
  for (int i = 0; s.arg_kinds[i]; i++)
    if (s.arg_kinds[i] == 's' && t.args[i])
      t.inputs.push_back(MemRecord{t.args[i], t.mem.read_cstring(t.args[i]), true});
  t.lens = entry_lens(s, t.args, rd);
  t.in_hash = input_hash(t, s);
}

// The hash of the bytes t's call sends (its input descriptor), or none.
std::optional<uint64_t> PtraceRecorder::input_hash(Task& t, const SyscallSpec& s) {
  auto in = input_regions(s, t.args, t.mem.word_reader());
  if (in.empty()) return std::nullopt;
  std::string data;
  for (const auto& r : in) data += t.mem.read(r.addr, r.len);
  return hash64(data);
}

void PtraceRecorder::on_syscall_entry(Task& t) {
  if (kernel_) {  // events-only: a stop the emulated ptrace asked for
    emulation_entry(t);
    return;
  }
  t.in_syscall = true;
  t.entry_seq = ++seq_;
  t.t_entry = stop_ns();
  read_call(t);
  note_fd_change(t);
  note_sigchld_action(t, true, 0);
  if (t.nr == SYS_ptrace) emulate_ptrace(t);
  if (is_tsc_mode_call(t.nr, t.args)) answer_tsc_mode(t);
  if (t.nr == SYS_wait4 || t.nr == SYS_waitid) emulate_wait(t);
  if (t.wait_held) return hold(t);  // answered when its tracee stops or ends
  if (hold_for_tracer(t, EmuStop::kSyscallEntry, 0, nullptr, false)) return;
  enter_kernel(t);
}

// What rp takes of the call t.nr, t.args at its entry (ptrace backend): its
// inputs, and its refusal or its record if it is one of those.
void PtraceRecorder::read_call(Task& t) {
  t.have_exit_regs = false;
  t.emulated_by_tracer = false;
  t.inputs.clear();
  t.in_hash.reset();
  t.forced_ret.reset();
  t.forced_mem.clear();
  t.skip_at_enter = false;
  t.copy_peek = peek_splice_source(t.tid, t.nr, t.args, outputs_);  // gone at the exit
  const SyscallSpec* s = syscall_spec(t.nr);
  if (s) {
    read_entry(t, *s);
    if (s->policy == RP_POLICY_ENOSYS) {
      // Refused like rr does: replay then never has to model io_uring, rseq...
      // Skipped as it goes on (enter_kernel): an emulated tracer's entry stop
      // shows the call, as the kernel backends' filter, which runs after
      // that stop, leaves it (strace -f prints rseq(...) = -1 ENOSYS).
      t.forced_ret = -ENOSYS;
      t.skip_at_enter = true;
    } else if (s->policy == RP_POLICY_EXIT) {
      // exit/exit_group never return: record them at entry.
      Event e = new_event(t, EventKind::kSyscall);
      e.nr = t.nr;
      e.entry_seq = t.entry_seq;
      std::memcpy(e.args, t.args, sizeof e.args);
      emit(std::move(e));
      t.in_syscall = false;
    }
  } else {
    unknown_syscalls_++;
  }
  clear_clone_untraced(t.tid, t.nr);  // the child must stay traced (t.args keeps the flag)
}

void PtraceRecorder::on_syscall_exit(Task& t, bool exit_stop) {
  // Its bytes are in the output: the next write to it may start, after this
  // event in the trace (the handler numbers it before that one's exit stop).
  leave_output_gate(t.tid);
  if (!t.in_syscall) {  // e.g. the exit stop of a syscall we saw no entry of
    make_runnable(t, 0, true);
    return;
  }
  if (kernel_ && emulation_exit(t)) return;
  t.in_syscall = false;
  Regs regs;
  regs.read(t.tid);
  int64_t ret = regs.ret();
  if (t.forced_ret) {
    ret = *t.forced_ret;
    regs.set_ret(ret);
    regs.write(t.tid);
  }
  if (kicked_wait_ended(t, ret)) return;
  note_sigchld_action(t, false, ret);
  Event e = new_event(t, EventKind::kSyscall);
  t.exit_seq = 0;
  e.nr = t.nr;
  e.entry_seq = t.entry_seq;
  t.entry_seq = 0;
  std::memcpy(e.args, t.args, sizeof e.args);
  e.ret = ret;
  // Hashed again now: the kernel may copy the bytes while the call blocks
  // (a pipe that drains), as other threads change them, and replay compares
  // at the call's exit, after their earlier events (the kernel backends
  // hash at sys_exit too). The entry's hash stays for a call that never
  // returns.
  const SyscallSpec* s = t.emulated_by_tracer ? nullptr : syscall_spec(t.nr);
  if (t.emulated_by_tracer) e.extra = kEmulatedByTracer;
  t.emulated_by_tracer = false;
  if (t.in_hash && s) t.in_hash = input_hash(t, *s);
  e.in_hash = t.in_hash;
  e.mem = std::move(t.inputs);
  t.inputs.clear();
  restart_note(t.restart, t.nr, t.args, ret);
  if (s) {
    auto rd = t.mem.word_reader();
    KernelFacts facts = tracee_kernel_facts(t.tid, &loss_.unreadable);
    if (const SyscallSpec* b = buffers_spec(t.nr, e.args))
      read_output_regions(t.mem, output_regions(*b, e.args, ret, t.lens, rd, &facts), e.mem,
                          loss_);
    if (is_file_mmap(s, e.args, ret))
      record_file_mapping(t, e);
    std::string why;  // replay patches at this same exit (events-only: at sweep_at_exit's)
    if (!kernel_ && !sweep_new_code(t.tid, e.nr, e.args, ret, &why)) throw Error(why);
    if (s->policy == RP_POLICY_EXECVE && ret == 0) {
      record_exec(t, e, exec_name(t.tid));
      if (!kernel_) trap_after_exec(t);
    }
    if (t.nr == SYS_shmat && !syscall_failed(ret))  // replay attaches these bytes, not the segment
      if (auto seg = attached_segment(t.tid, static_cast<uint64_t>(ret)))
        e.mem.push_back(std::move(*seg));
    const EntryPeek* peek = t.copy_peek ? &*t.copy_peek : nullptr;
    if (auto copied = read_copied_bytes(t.tid, t.mem, e, outputs_, peek))  // replay echoes them
      e.extra = std::string(kCopiedPrefix) + *copied;
    if (t.nr == SYS_ioctl && !syscall_failed(ret)) {
      bool known;
      ioctl_output_size(e.args[1], &known);
      if (!known) unknown_ioctls_++;
    }
  }
  for (auto& m : t.forced_mem) e.mem.push_back(std::move(m));
  t.forced_mem.clear();
  uint64_t seq = e.seq;
  emit(std::move(e));
  if (t.cpuid_fault_due) fault_cpuid(t);  // after an execve
  t.exit_regs = regs;
  t.have_exit_regs = true;
  note_segv_mask_call(t);
  if (exit_stop && hold_for_tracer(t, EmuStop::kSyscallExit, 0, nullptr, false)) return;
  if (!kernel_ && ring_ && !holding_ && ring_->due()) ring_snapshot(t, regs, seq);
  // A call that returned within the grace period keeps the slot: continue
  // it, unless the next in line has waited long enough.
  Group& g = groups_[t.slot];
  make_runnable(t, 0, g.holder == t.tid && !waiter_starved(g));
}

// The thread is at the exit of its syscall, event `seq` recorded. Every
// other thread of the process is held still too (none may run user code
// now; one inside a syscall is stopped: a call the stop cut short is
// rewound to be made again, its entry forgotten, as at an attach), and the
// snapshot is taken there: replay starts from it, right before whatever comes
// next. Whatever the attempt meets that a snapshot cannot hold (a pending
// signal, a thread being born or dying) puts it off to the next due().
void PtraceRecorder::ring_snapshot(Task& t, const Regs& regs, uint64_t seq) {
  for (const auto& [tid, o] : tasks_)
    if (o.tgid != t.tgid) {
      ring_->cannot_snapshot("the program runs a second process");
      return;
    }
  if (!snapshot_possible(t)) return;
  holding_ = true;  // stops are handled, nothing is resumed (schedule)
  struct Release {
    PtraceRecorder& r;
    pid_t slot;
    ~Release() {
      r.holding_ = false;
      r.schedule(r.groups_[slot]);
    }
  } release{*this, t.slot};
  std::vector<pid_t> in_kernel;
  for (auto& [tid, o] : tasks_)
    if (tid != t.tid && o.run == Run::kInKernel) in_kernel.push_back(tid);
  for (pid_t tid : in_kernel) hold_in_kernel(tid);
  if (!tasks_.count(t.tid) || !snapshot_possible(t)) return;
  std::vector<std::pair<pid_t, Regs>> normalized;
  for (auto& [tid, o] : tasks_) {
    Regs now;
    if (tid == t.tid) now = regs;
    else if (!now.read(tid)) return;
    Regs n = restart_normalized(now);
    if (n.ip() != now.ip()) return;  // a recorded result the kernel will restart: later
    normalized.emplace_back(tid, n);
  }
  for (auto& [tid, n] : normalized)
    if (!n.write(tid)) return;
  std::vector<pid_t> all;
  for (auto& [tid, o] : tasks_) {
    all.push_back(tid);
    o.have_exit_regs = false;  // nothing before the snapshot is "its last syscall" in replay
  }
  ring_->snapshot(t.tgid, all, std::max(seq, seq_), outputs_);
}

// Every thread but `t` is held by rp at a stop it can be snapshot at.
bool PtraceRecorder::snapshot_possible(const Task& t) {
  for (const auto& [tid, o] : tasks_) {
    if (tid == t.tid) continue;
    if (o.run == Run::kRunning || o.run == Run::kDying || o.pending_sig ||
        o.initial_stop_pending)
      return false;
    // Held at its entry stop for an output (output_gate.cc): in no syscall
    // hold_in_kernel could stop it in.
    if (o.output_gate >= 0 && output_gates_[o.output_gate].writer != tid) return false;
  }
  return true;
}

// A thread inside a syscall, stopped for a snapshot: a SIGSTOP from rp (a
// program rp started is not PTRACE_SEIZEd: no PTRACE_INTERRUPT), then its
// next stop. Cut short (-ERESTART*): rewound to make the call again, its
// entry forgotten, held runnable. Anything else (the call completed, a
// signal, its end) is handled as usual, and held too if it stops. The
// SIGSTOP itself is dropped when it comes (on_signal).
void PtraceRecorder::hold_in_kernel(pid_t tid) {
  auto it0 = tasks_.find(tid);
  if (it0 == tasks_.end()) return;
  it0->second.snapshot_stop = true;
  syscall(SYS_tgkill, it0->second.tgid, tid, SIGSTOP);
  for (;;) {
    int status;
    pid_t r = waitpid(tid, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return;
    auto it = tasks_.find(tid);
    __ptrace_syscall_info info{};
    Regs regs;
    if (it != tasks_.end() && WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80) &&
        ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) > 0 &&
        info.op == PTRACE_SYSCALL_INFO_EXIT && regs.read(tid) &&
        restart_normalized(regs).ip() != regs.ip() && it->second.in_syscall) {
      Task& o = it->second;
      if (!restart_normalized(regs).write(tid)) return;
      o.in_syscall = false;  // made again after the snapshot, recorded then
      o.entry_seq = 0;
      o.inputs.clear();
      make_runnable(o, 0, false);
      return;
    }
    handle_stop(tid, status);
    it = tasks_.find(tid);  // still on its way to a stop (an event stop resumed it)?
    if (it == tasks_.end()) return;
    if (it->second.run != Run::kRunning && it->second.run != Run::kInKernel) return;
  }
}

void PtraceRecorder::record_file_mapping(Task& t, Event& e) {
  // Replay has no file: keep the bytes the mapping shows now. Reading the
  // tracee's memory gives exactly what it sees (zero fill past EOF included,
  // nothing for pages past the file's end).
  uint64_t addr = static_cast<uint64_t>(e.ret), len = e.args[1];
  MappedFile file = read_mapped_file(t.mem, t.tid, static_cast<int>(e.args[4]), addr, len, e.args[5]);
  Mapping m;
  m.seq = e.seq;
  m.tid = t.tid;
  m.addr = addr;
  m.size = len;
  m.prot = static_cast<int64_t>(e.args[2]);
  m.flags = static_cast<int64_t>(e.args[3]);
  m.offset = e.args[5];
  m.path = file.path;
  bool head = !file.pieces.empty() && file.pieces[0].addr == addr;  // the file's bytes from its start
  {
    auto lk = q_.lock_writer();
    if (head) m.blob = w_.put_blob(file.pieces[0].bytes);
    w_.add_mapping(m);
  }
  for (auto& p : file.pieces) e.mem.push_back(std::move(p));
}

// The words of t's new auxv that replay puts back (exec_identity.h), as
// outputs of its execve.
std::vector<MemRecord> PtraceRecorder::exec_identity(Task& t) {
  std::vector<MemRecord> out;
  Regs regs;
  if (regs.read(t.tid))
    read_output_regions(t.mem, auxv_identity_regions(t.mem, regs.sp()), out, loss_);
  return out;
}

void PtraceRecorder::record_exec(Task& t, Event& e, const std::string& name) {
  // The kernel put 16 random bytes on the new stack (AT_RANDOM: stack
  // protector and pointer guard seeds); replay writes them back.
  if (auto r = at_random_region(t.tid)) {
    read_output_regions(t.mem, {*r}, e.mem, loss_);
  }
  // Events-only, `e` is not the execve's event: the kernel side's gets
  // these through note_exec.
  if (!kernel_)
    for (auto& m : exec_identity(t)) e.mem.push_back(std::move(m));
  t.tgid = t.tid;
  leave_shared_slot(t);
  learn_segv_mask(t);  // kept across the execve
  // The kernel's name for the program: the path as passed, or /dev/fd/N for
  // an exec through a descriptor (execveat, fexecve).
  std::string path = name;
  if (path.empty()) {
    path = initial_exe_;
    for (const auto& m : e.mem)
      if (m.input && m.addr == e.args[0]) path = m.bytes;
  }
  initial_exe_.clear();
  std::string dir = proc_link(t.tid, "cwd");
  if (dir.empty()) dir = "/";
  for (const auto& f : exec_files(t.tid, path, dir)) {
    auto lk = q_.lock_writer();
    w_.add_file(f.path, f.bytes, f.mode);
  }
  // Before the new program runs, so its vDSO clock reads become syscalls
  // and its arm64 counter reads trap; replay patches at this same stop.
  std::string why;
  if (!patch_exec_image(t.tid, code_to_sweep(t.tid, 0, UINT64_MAX), &why)) throw Error(why);
  // At the execve's exit stop, after its event: now (on_syscall_exit), or
  // events-only, where the exec event resumes it to.
  t.cpuid_fault_due = trap_cpuid_;
}

// A call rp makes in the program, at the exit stop of its execve, before
// its first instruction. The kernel backends record it as the thread's next
// call, which the writer marks as rp's (note_exec); the ptrace backend's
// event is made here.
void PtraceRecorder::fault_cpuid(Task& t) {
  t.cpuid_fault_due = false;
#if defined(__x86_64__)
  std::string error;
  const uint64_t insn = vdso_syscall_insn(t.tid);
  if (!insn) throw Error("record: cannot make cpuid trap in thread " + std::to_string(t.tid) +
                         ": its vDSO has no syscall instruction of rp's");
  SyscallInjector inj(t.tid, insn);
  std::optional<int64_t> r = inj.call(SYS_arch_prctl, {kArchSetCpuid, 0}, &error);
  if (r && !inj.restore(&error)) r.reset();
  if (!r) throw Error("record: " + error);
  if (*r != 0)
    throw Error("record: cannot make cpuid trap in thread " + std::to_string(t.tid) +
                ": arch_prctl(ARCH_SET_CPUID): " + strerror(static_cast<int>(-*r)));
  if (kernel_) return;
  Event e = new_event(t, EventKind::kSyscall);
  e.nr = kArchPrctlNr;
  e.args[0] = kArchSetCpuid;
  e.extra = kMadeByRp;
  emit(std::move(e));
#endif
}

namespace {

#if defined(__aarch64__)
// The recorder's own read of the counter the program's brk stands for: the
// virtual counter's offset (CNTVOFF_EL2) is the hypervisor's, one per VM,
// not per process, so rp and the program read the same counter.
uint64_t read_counter() {
  uint64_t v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
  return v;
}
#endif

// Executes the trapped instruction for the program: its result registers,
// for the event's args. False if the word at ip is not one rp traps.
bool execute_trapped(Regs& regs, const std::string& code, TrappedInsn* kind_out,
                     uint64_t args[6]) {
  int len = 0;
  TrappedInsn kind = decode_trapped(code, regs.ip(), &len);
  *kind_out = kind;
#if defined(__x86_64__)
  if (kind == TrappedInsn::kCpuid) {
    // eax and ecx select the leaf and subleaf (kept: replay checks them).
    // The answer is from the CPU rp runs on (its per-core ids may be
    // another core's than the program's).
    args[4] = static_cast<uint32_t>(regs.raw.rax);
    args[5] = static_cast<uint32_t>(regs.raw.rcx);
    CpuidAnswer c = cpuid_for_program(static_cast<uint32_t>(regs.raw.rax),
                                      static_cast<uint32_t>(regs.raw.rcx));
    regs.raw.rax = c.eax;
    regs.raw.rbx = c.ebx;
    regs.raw.rcx = c.ecx;
    regs.raw.rdx = c.edx;
  } else if (kind == TrappedInsn::kRdtsc || kind == TrappedInsn::kRdtscp) {
    unsigned aux = 0;
    uint64_t tsc = read_tsc(kind == TrappedInsn::kRdtscp, &aux);
    regs.raw.rax = tsc & 0xffffffff;
    regs.raw.rdx = tsc >> 32;
    if (kind == TrappedInsn::kRdtscp) regs.raw.rcx = aux;
  } else {
    return false;
  }
  args[0] = regs.raw.rax;
  args[1] = regs.raw.rdx;
  args[2] = regs.raw.rcx;
  args[3] = regs.raw.rbx;
#else
  // cntvctss_el0 is the self-synchronised form: isb + cntvct_el0 gives the same.
  if (kind != TrappedInsn::kCntvct && kind != TrappedInsn::kCntvctss) return false;
  uint32_t word = 0;
  std::memcpy(&word, code.data(), sizeof word);
  int rt = decode_counter_trap(word)->rt;
  uint64_t v = read_counter();
  if (rt != 31) regs.raw.regs[rt] = v;  // 31: xzr, the value is dropped
  args[0] = v;
  args[1] = regs.ip();
  args[2] = static_cast<uint64_t>(rt);
#endif
  regs.set_ip(regs.ip() + static_cast<uint64_t>(len));
  return true;
}

}  // namespace

bool PtraceRecorder::emulate_trapped_insn(Task& t, const rp_stop_point& stop) {
  Regs regs;
  if (!regs.read(t.tid)) return false;
  TrappedInsn kind;
  uint64_t args[6] = {};
  if (!execute_trapped(regs, t.mem.read(regs.ip(), 16), &kind, args)) return false;
  regs.write(t.tid);
  restore_segv_mask(t, stop);
  Event e = new_event(t, EventKind::kInsn);
  e.nr = static_cast<int64_t>(kind);
  std::copy(args, args + 6, e.args);
  emit(std::move(e));
  t.have_exit_regs = false;
  make_runnable(t, 0, true);  // the trap's signal is not delivered
  return true;
}

// What the thread's delivery of sig does: a handler runs, nothing, or the
// default action. A pid namespace's init skips every default action but
// SIGKILL's and SIGSTOP's (the kernel's get_signal, SIGNAL_UNKILLABLE; a
// traced init even for a fault), so such a signal is recorded as ignored:
// in replay the process is no init, and the default action would kill it.
uint32_t PtraceRecorder::disposition(pid_t tid, int sig) {
  const std::string status = proc_status(tid);
  uint64_t ign = status_field(status, "SigIgn", 16).value_or(0);
  uint64_t cgt = status_field(status, "SigCgt", 16).value_or(0);
  uint64_t bit = 1ull << (sig - 1);
  if (cgt & bit) return kSigCaught;
  if (ign & bit) return kSigIgnored;
  if (sig != SIGKILL && sig != SIGSTOP && pid_namespace_init(status)) return kSigIgnored;
  return kSigDefault;
}

// Whether `regs` (read at a signal stop) are those t's last syscall exit
// stop showed: the thread has run no user code since.
bool PtraceRecorder::still_at_exit(const Task& t, const Regs& regs) {
  return t.have_exit_regs && regs.as_at_syscall_stop(t.exit_regs) == t.exit_regs;
}

// arm64's signal code rewinds a call that returned a restart code (pc back
// to the svc, x0 to the call's first argument) before the signal-delivery
// stop, not after it as x86_64's does: those registers are the exit's too.
bool PtraceRecorder::rewound_at_exit(const Task& t, const Regs& regs) {
#if defined(__aarch64__)
  if (!t.have_exit_regs) return false;
  if (!rp_restart_code(static_cast<int64_t>(t.exit_regs.raw.regs[0]))) return false;
  const Regs rewound = rewound_call(t.exit_regs, t.args[0]);
  return regs.as_at_syscall_stop(rewound) == rewound;
#else
  (void)t, (void)regs;
  return false;
#endif
}

void PtraceRecorder::on_signal(Task& t, int sig) {
  siginfo_t si;
  bool have_si = ptrace(PTRACE_GETSIGINFO, t.tid, nullptr, &si) == 0;
  // After a ptrace request (the thread is then off its CPU): the number the
  // kernel side gave this stop, so that the event sorts before what other
  // threads did meanwhile (thread switches). Taken at every stop, used by
  // the event this stop makes, if any.
  const rp_stop_point stop = kernel_ ? kernel_->stop_point(t.tid) : rp_stop_point{};
  stop_seq_ = stop.seq;
  if (stop.has_digest) stop_digest_ = stop.digest;
  struct ClearStopSeq {
    uint64_t& s;
    std::optional<rp_point_digest>& d;
    ~ClearStopSeq() { s = 0, d.reset(); }
  } clear{stop_seq_, stop_digest_};
  if (!have_si) {  // a group-stop: nothing is delivered
    hold_stopped(t);
    return;
  }
  if (t.initial_stop_pending && sig == SIGSTOP) {
    t.initial_stop_pending = false;  // the stop every new child starts with
    take_first_stop(t);
    return;
  }
  if (kernel_ && sig == SIGSTOP && kernel_->on_stop_signal(t.tid)) {
    // The kernel capture stopped it to finish a record (a kick of rp's merged with it).
    if (!take_merged_kick(t)) make_runnable(t, 0, true);
    return;
  }
  if (is_trapped_insn_siginfo(sig, si.si_code) && emulate_trapped_insn(t, stop)) return;
  if (t.snapshot_stop && sig == SIGSTOP && si.si_pid == getpid()) {
    // rp's stop for a snapshot (hold_in_kernel): not the program's, dropped.
    t.snapshot_stop = false;
    t.preempt_requested = false;  // one SIGSTOP pending stood for both
    if (!take_merged_kick(t)) make_runnable(t, 0, true);
    return;
  }
  if (sig == SIGSTOP && si.si_pid == getpid() && take_kick(t)) return;  // not delivered
  sigchld_arrived(t, sig, si);
  if (t.preempt_requested && sig == SIGSTOP && si.si_pid == getpid()) {
    // rp's own preemption: the thread ran user code for a whole timeslice.
    t.preempt_requested = false;
    Regs regs;
    regs.read(t.tid);
    if (still_at_exit(t, regs)) {
      // Stopped before its first instruction after a syscall (it got no CPU
      // after the exit stop): no user code to order, and its next chunk ends
      // at its next event anyway. A switch event here would only make replay
      // leave that syscall site unpatched for the agent (one ptrace stop per
      // call: conformance sched_yield's replay took a minute under load).
      make_runnable(t, 0, false);
      return;
    }
    preemptions_++;
    Event e = new_event(t, EventKind::kPreempt);
    set_point_extra(e, signal_extra_with_regs(regs.raw), read_point_digest(t.tid, regs));
    emit(std::move(e));
    t.have_exit_regs = false;
    make_runnable(t, 0, false);
    return;
  }
  Regs regs;
  regs.read(t.tid);
  // Delivered on the way back from the thread's last syscall when nothing ran
  // in between: the registers are exactly those of that syscall's exit.
  // Events-only mode has no exit registers: the kernel was entered by a
  // syscall (not an interrupt or a fault) when it kept a syscall number.
  // (arm64: the exit stop showed x7 as 1. Taken as "in user code", a signal
  // there was replayed by a breakpoint search, and samples/alarm_loop's
  // signals pending at rt_sigreturn's return all were, in the arm64 VM.)
  // arm64 forgets the number of a call it rewinds for a restart: the kernel
  // side says the call returned a restart code (signal_in_call).
  int64_t nr = kernel_ ? kernel_syscall_nr(t.tid, regs) : t.nr;
  bool at_syscall = kernel_ ? nr >= 0 || (stop.flags & RP_STOP_F_RESTART_CODE)
                            : still_at_exit(t, regs) || rewound_at_exit(t, regs);
  if (hold_for_tracer(t, EmuStop::kSignal, sig, &si, at_syscall)) return;
  if (init_dies_of(t, sig, si)) {
    let_init_die(t, sig, si, at_syscall);
    return;
  }
#if defined(__aarch64__)
  bool knows_arg0 = !kernel_;  // events-only: no entry stop gave the call's x0 for its restart
#else
  bool knows_arg0 = true;
#endif
  bool restart = at_syscall && knows_arg0 && interrupted_only_by_ignored(t.tid, nr, sig, regs);
  record_signal(t, sig, si, restart ? kAtSyscallRestarted : at_syscall);
  if (restart && rewind_call(t.tid, regs, t.args[0])) t.have_exit_regs = false;
  if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
    stopping_.insert(t.tgid);  // its group-stops are held (hold_stopped)
  make_runnable(t, sig, true);
}

void PtraceRecorder::record_signal(Task& t, int sig, const siginfo_t& si, uint32_t at_syscall,
                                   std::optional<uint32_t> disposition) {
  Event e = new_event(t, EventKind::kSignal);
  e.nr = sig;
  Regs regs;
  regs.read(t.tid);
  SignalExtra x = signal_extra_with_regs(regs.raw);
  std::memcpy(x.siginfo, &si, sizeof x.siginfo);
  x.at_syscall = at_syscall;
  x.disposition = disposition ? *disposition : this->disposition(t.tid, sig);
  // In user code, replay searches the point as a switch's: by registers and
  // the memory they point to, as the kernel side saw it when the thread
  // stopped (other threads may have run and written it since).
  if (at_syscall) {
    set_signal_extra(e, x);
  } else {
    set_point_extra(e, x, stop_digest_ ? *stop_digest_ : read_point_digest(t.tid, regs));
  }
  emit(std::move(e));
  // Only a handler takes the thread out of the kernel's signal loop. A signal
  // with none (ignored, SIGCONT, a stop) leaves it on its way back from the
  // same call: the next signal it dequeues there, with the exit registers
  // still unchanged, is at that syscall's return too (job_control: SIGCONT
  // then SIGTSTP after an interrupted clock_nanosleep, before its restart).
  if (x.disposition == kSigCaught) t.have_exit_regs = false;
}

void PtraceRecorder::on_ptrace_event(Task& t, int event) {
  unsigned long msg = 0;
  ptrace(PTRACE_GETEVENTMSG, t.tid, nullptr, &msg);
  switch (event) {
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
      pid_t child = static_cast<pid_t>(msg);
      bool thread = event == PTRACE_EVENT_CLONE && (t.args[0] & CLONE_THREAD);
      if (!tasks_.count(child)) {
        // Events-only: no syscall entry stop filled t.args (the kernel side
        // recorded the clone), so ask the kernel which process the child is in.
        pid_t tgid = kernel_ ? tgid_of(child, child) : thread ? t.tgid : child;
        Task& c = add_task(child, tgid, t.tid);
        c.initial_stop_pending = true;
        if (!kernel_) c.slot = slot_for_child(t, event, child);
      } else if (tasks_[child].adopted_early) {  // its only fork event
        auto lk = q_.lock_writer();
        w_.set_task_parent(child, t.tid);
      }
      if (hold_at_event(t, event, msg)) return;  // the emulated tracer's event
      if (auto c = tasks_.find(child); c != tasks_.end() && c->second.initial_stop_deferred) {
        c->second.initial_stop_deferred = false;  // no emulated tracer for it
        make_runnable(c->second, 0, false);
      }
      break;
    }
    case PTRACE_EVENT_EXEC: {
      pid_t former = static_cast<pid_t>(msg);
      if (former != t.tid) {
        // A non-leader thread exec'd: it continues under the leader's tid.
        if (kernel_) kernel_->note_thread_takeover(former, t.tid);
        auto it = tasks_.find(former);
        if (it != tasks_.end()) {
          Task moved = std::move(it->second);
          tasks_.erase(it);
          forget_recorded_thread(former);  // the leader's tid, which it takes, is noted
          moved.tid = t.tid;
          moved.mem = Tracee(t.tid);
          tasks_[t.tid] = std::move(moved);
        }
      }
      tasks_[t.tid].mem.address_space_changed();
      if (kernel_) {  // events-only: no execve exit stop, do its work at this stop
        Event e;      // (the kernel side records the syscall and AT_RANDOM)
        std::string name = exec_name(t.tid);
        std::string path = kernel_->exec_path(t.tid);
        if (path.empty()) path = name;  // not copied at entry
        e.args[0] = 1;  // where record_exec looks for the path string
        if (!path.empty()) e.mem.push_back(MemRecord{1, path, true});
        record_exec(tasks_[t.tid], e, name);
        kernel_->note_exec(t.tid, name, exec_identity(tasks_[t.tid]),
                           tasks_[t.tid].cpuid_fault_due);
        trap_after_exec(tasks_[t.tid]);
      }
      if (hold_at_event(tasks_[t.tid], event, msg)) return;  // the emulated tracer's event
      break;
    }
    case PTRACE_EVENT_STOP:
      // A child of a process rp attached to (PTRACE_SEIZE) starts with this
      // stop, not with SIGSTOP: a SIGSTOP that comes later is a real one (or
      // the kernel capture's stall), not the initial stop.
      if (std::exchange(t.initial_stop_pending, false) && take_kick(t)) return;
      break;
    case PTRACE_EVENT_EXIT:
      if (!hold_at_event(t, event, msg)) task_dying(t);
      return;
    case PTRACE_EVENT_VFORK_DONE:
      if (hold_at_event(t, event, msg)) return;
      break;
    case PTRACE_EVENT_SECCOMP:  // kernel backends: launch's filter trapped a syscall
      if (on_seccomp_stop(t, msg)) return;
      break;
    default: break;
  }
  resume(t.tid, 0);
}

namespace {

// Whether rp's filter is the only one on thread tid (/proc's Seccomp_filters).
bool only_rps_filter(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Seccomp_filters:", 0) == 0) return std::stoi(line.substr(16)) == 1;
  return false;
}

}  // namespace

// A call rp answers at its seccomp stop (events-only): skipped in the
// kernel, whose side then records nothing of it (a skipped call), and
// recorded here at its exit stop like any call rp answers. prctl(PR_GET_SECCOMP)
// while rp's filter is the thread's only one: the program's answer is 0, the
// mode it has without rp.
void PtraceRecorder::answer_trapped_call(Task& t, const TrappedCall& c) {
  begin_stopped_call(t);
  t.nr = c.nr;
  std::copy(c.args, c.args + 6, t.args);
  number_entry(t);
  if (is_tsc_mode_call(t.nr, t.args))
    answer_tsc_mode(t);
  else
    skip_call(t, 0);
  enter_kernel(t);
}

// prctl(PR_GET_TSC / PR_SET_TSC): rp makes every recorded thread's rdtsc
// trap (common/tracer_tsc.h), and the program must see the mode it has
// without rp, PR_TSC_ENABLE, which setting again changes nothing.
// PR_TSC_SIGSEGV would need rp to turn the reads it traps into the
// program's SIGSEGV: refused (EINVAL) with a note. Replay emulates both
// (replay/dispatch.cc).
void PtraceRecorder::answer_tsc_mode(Task& t) {
  int64_t ret = 0;
  if (t.args[0] == PR_GET_TSC) {
    const int mode = PR_TSC_ENABLE;
    std::string bytes(reinterpret_cast<const char*>(&mode), sizeof mode);
    if (t.mem.write(t.args[1], bytes))
      t.forced_mem.push_back(MemRecord{t.args[1], bytes, false});
    else
      ret = -EFAULT;
  } else if (t.args[1] != PR_TSC_ENABLE) {
    if (t.args[1] == PR_TSC_SIGSEGV) refuse_note("prctl(PR_SET_TSC, PR_TSC_SIGSEGV)");
    ret = -EINVAL;
  }
  skip_call(t, ret);
}

bool PtraceRecorder::on_seccomp_stop(Task& t, unsigned long data) {
  if (data == kUntracedCloneTrap) {
    clear_clone_untraced(t.tid, SYS_clone);
    return false;
  }
  if (data == kVsyscallTrap && answer_vsyscall(t)) return true;
  if (data == kForeignAbiTrap) {
    const auto c = trapped_call(t.tid);
    throw Error(foreign_abi_call_error(t.tid, c ? c->arch : 0, c ? c->nr : 0));
  }
  if (data == kSpliceTrap) {  // the ptrace backend peeks at its entry stop
    if (auto c = kernel_ ? trapped_call(t.tid) : std::nullopt)
      kernel_->note_copy_peek(t.tid, peek_splice_source(t.tid, c->nr, c->args, outputs_));
    return false;
  }
  if (data == kExecMapTrap) {
    if (auto c = kernel_ ? trapped_call(t.tid) : std::nullopt) {
      t.sweep_at_exit = true;
      t.sweep_nr = c->nr;
      std::copy(c->args, c->args + 6, t.sweep_args);
      ptrace(PTRACE_SYSCALL, t.tid, nullptr, 0);  // to its exit stop
      return true;
    }
  }
  if (data == kSeccompModeTrap) {
    if (!only_rps_filter(t.tid)) return false;  // the program's own is there too: the kernel says 2
    if (!kernel_) {
      skip_call(t, 0);  // after its entry stop: the exit stop records the answer
      return false;
    }
    if (auto c = trapped_call(t.tid)) {
      answer_trapped_call(t, *c);
      return true;
    }
    return false;
  }
  if (data == kTscModeTrap) {
    if (auto c = kernel_ ? trapped_call(t.tid) : std::nullopt) {
      answer_trapped_call(t, *c);
      return true;
    }
    return false;  // the ptrace backend answers at the entry stop
  }
  if (data == kPtraceTrap || data == kSigchldActionTrap) {
    // A thread that runs with syscall stops (an emulated tracee under
    // PTRACE_SYSCALL) had this call's entry stop already, which took it:
    // a second entry would put its tracer's stops out of step.
    if (t.in_syscall) return false;
    if (auto c = kernel_ ? trapped_call(t.tid) : std::nullopt) {
      t.nr = c->nr;
      std::copy(c->args, c->args + 6, t.args);
      emulation_entry(t);  // the emulated ptrace's
      return true;
    }
  }
  // A RET_TRACE of the program's own filter: with no tracer of its own the
  // kernel fails the call with ENOSYS, and so does rp (it skips the call).
  Regs regs;
  if (!regs.read(t.tid)) return false;
  Regs::set_syscall_nr(t.tid, regs, -1);
  regs.set_ret(-ENOSYS);
  regs.write(t.tid);
  return false;
}

// The exit stop kExecMapTrap asked for: the kernel side has recorded the
// call; its new code is patched before the thread runs it.
void PtraceRecorder::sweep_mapped_code(Task& t, int64_t ret) {
  t.sweep_at_exit = false;
  std::string why;
  if (!sweep_new_code(t.tid, t.sweep_nr, t.sweep_args, ret, &why)) throw Error(why);
}

std::vector<CodeRange> PtraceRecorder::code_to_sweep(pid_t tid, uint64_t lo, uint64_t hi) {
  if (!patches_counter_reads()) return {};
  std::vector<CodeRange> code = mapped_code_sections(tid, lo, hi);
  auto lk = q_.lock_writer();
  w_.add_list_item(kCounterCode, format_code_sweep(tid, lo, hi, code));
  return code;
}

bool PtraceRecorder::sweep_new_code(pid_t tid, int64_t nr, const uint64_t args[6], int64_t ret,
                                    std::string* why) {
  if (!patches_counter_reads()) return true;
  const std::optional<CodeRange> r = exec_map_range(nr, args, ret);
  return !r || patch_counter_reads_in(tid, code_to_sweep(tid, r->addr, r->addr + r->len), why);
}

void PtraceRecorder::flush_unfinished(Task& t) {
  // A syscall the thread entered but never returned from: kill(getpid(),
  // SIGKILL), or a call cut short by another thread's exit_group. Replay
  // brings the thread into it and lets the recorded death happen there.
  if (!t.in_syscall || t.entry_seq == 0) return;
  t.in_syscall = false;
  Event e = new_event(t, EventKind::kSyscall);
  t.exit_seq = 0;
  e.nr = t.nr;
  e.entry_seq = t.entry_seq;
  t.entry_seq = 0;
  std::memcpy(e.args, t.args, sizeof e.args);
  e.in_hash = t.in_hash;
  e.mem = std::move(t.inputs);
  e.extra = kNoReturn;
  emit(std::move(e));
}

void PtraceRecorder::task_dying(Task& t) {
  // Events-only: a record the producer parked for this thread is completed
  // here, its memory still there: a fatal signal (SIGPIPE from the write
  // that stalled) is delivered before the producer's SIGSTOP, which the
  // thread never reaches.
  if (kernel_) kernel_->on_stop_signal(t.tid);
  // A dying thread has no user code left, but the kernel still writes its
  // memory (clear_child_tid, robust futexes) and pthread_join looks there:
  // let a non-leader thread finish dying before any other thread runs.
  flush_unfinished(t);
  release_slot(t);
  leave_output_gate(t.tid);
  t.run = Run::kDying;
  pid_t tid = t.tid, tgid = t.tgid, slot = t.slot;
  // The last thread of a pid namespace's init ends only once the kernel has
  // killed and reaped the namespace's other processes (zap_pid_ns_processes),
  // and those wait at their own exit stops for rp: waiting for it here would
  // wait for ever (rr's pid_ns_reap). No thread of its process runs again.
  const bool ends_namespace = last_live_thread(t) && pid_namespace_init(proc_status(tgid));
  ptrace(PTRACE_CONT, tid, nullptr, 0);
  if (tid != tgid && !kernel_ && !ends_namespace) {  // events-only: no other thread waits for a slot
    int status;
    for (;;) {
      pid_t r = waitpid(tid, &status, __WALL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        on_task_gone(tid, status);
        break;
      }
      ptrace(PTRACE_CONT, tid, nullptr, 0);
    }
  }
  schedule(groups_[slot]);
}

PtraceRecorder::Task* PtraceRecorder::sibling_in_yield(const Task& t) {
  for (auto& [tid, o] : tasks_)
    if (tid != t.tid && o.slot == t.slot && o.run == Run::kInKernel && o.in_syscall &&
        o.nr == SYS_sched_yield && !o.wait_held && o.output_gate < 0)
      return &o;
  return nullptr;
}

bool PtraceRecorder::last_live_thread(const Task& t) const {
  for (const auto& [tid, other] : tasks_)
    if (other.tgid == t.tgid && tid != t.tid && other.run != Run::kDying) return false;
  return true;
}

void PtraceRecorder::on_task_gone(pid_t tid, int status) {
  auto it = tasks_.find(tid);
  if (it == tasks_.end()) return;
  leave_output_gate(tid);
  flush_unfinished(it->second);
  // Events-only: threads run on while one dies; the kernel side numbered the
  // exit where the tid is cleared for pthread_join. (No number is taken then:
  // every number handed out is in the trace, tests/bpf/zero_loss.sh.)
  // Read once, no waiting: both kernel sides take the number in the thread's
  // own do_exit (sched_process_exit; the kmod's exit_mm_release kprobe)
  // before exit_notify makes it a zombie, and waitpid reports it only after
  // that (the two meet under tasklist_lock), so a number the kernel took is
  // in its map already. 0: it took none (not traced, map full) and never will.
  uint64_t kernel_seq = kernel_ ? kernel_->exit_seq(tid) : 0;
  Event e;
  if (kernel_seq) {
    e.seq = kernel_seq;
    e.tid = tid;
    e.kind = EventKind::kTaskExit;
    e.t_exit = stop_ns();
  } else {
    e = new_event(it->second, EventKind::kTaskExit);
  }
  e.ret = status;
  emit(std::move(e));
  {
    auto lk = q_.lock_writer();
    w_.set_task_exit(tid, status);
  }
  if (tid == root_) root_status_ = status;
  pid_t tgid = it->second.tgid, slot = it->second.slot;
  release_slot(it->second);
  tasks_.erase(it);
  forget_recorded_thread(tid);
  emu_task_gone(tid, tgid, status);
  auto g = groups_.find(slot);
  if (g != groups_.end()) schedule(g->second);
  if (after_task_gone_) after_task_gone_();
}

}  // namespace rp
