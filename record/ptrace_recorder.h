// The ptrace backend: stops every thread at syscall entry and exit, reads
// arguments at entry (arm64 loses arg0 at exit) and the kernel's output
// buffers at exit, and also sees what no syscall tracepoint shows: forks,
// execs, signal deliveries and exits.
#pragma once
#include <sys/types.h>

#include <signal.h>

#include <cstdint>
#include <functional>
#include <deque>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "arch.h"
#include "counter_patch.h"
#include "event_queue.h"
#include "buffers.h"
#include "ptrace_emulation.h"
#include "region_read.h"
#include "sandbox.h"
#include "tracee.h"
#include "kernel_copy.h"
#include "trace.h"
#include "unique_fd.h"

namespace rp {

class EventsOnlyHooks;  // record/kernel_capture.h
class Ring;             // record/ring.h


class PtraceRecorder {
 public:
  explicit PtraceRecorder(TraceWriter& w) : w_(w), q_(w) {}
  // Events-only mode, for a kernel capture backend (record/kernel_capture.h):
  // syscalls are recorded in the kernel, so no syscall stops and no
  // serialization (threads run in parallel); ptrace records forks, execs,
  // signals, trapped instructions and exits, numbered from the kernel's
  // sequence counter.
  void set_events_only(EventsOnlyHooks* k) { kernel_ = k; }
  static long ptrace_options();
  // The flight recorder (--ring): periodic snapshots at syscall exits, and
  // `save` called whenever SIGUSR2 reaches rp.
  void set_ring(Ring* ring, std::function<void()> save) {
    ring_ = ring;
    save_ = std::move(save);
  }
  // The path the first execve was given (its input string is not recorded).
  void set_initial_exe(const std::string& path) { initial_exe_ = path; }
  // Makes cpuid fault in every program the recording execs (cpuid_trap.h),
  // and in the tracer thread too (tracer_tsc.h): set where the program's
  // cpuid faults (rp record; rp record -p, which made it fault at the attach).
  void set_trap_cpuid(bool on) { trap_cpuid_ = on; }
  // The ptrace backend: the tracer thread runs on the program's CPU (not its
  // writer thread).
  void set_tracer_cpu(int cpu) { tracer_cpu_ = cpu; }
  // Called after each thread's end is recorded, with the processes whose
  // threads rp still records (rp record: has the program left processes
  // running outside its group? record/stop_signals.h).
  void set_after_task_gone(std::function<void()> hook) { after_task_gone_ = std::move(hook); }
  // The processes (tgids) of the threads rp records.
  std::vector<pid_t> processes() const;
  bool recording() const { return !tasks_.empty(); }
  bool records_process(pid_t tgid) const;
  // A stop signal ended the recording (record/stop_signals.h): kills every
  // process not killed yet, those born since the signal handler's kill too.
  void kill_all_for_end();
  // Whether a process rp records is in process group `group` (one whose
  // exit rp saw may still be there, a zombie its parent has not reaped).
  bool records_in_group(pid_t group) const;
  // Records the process tree rooted at `root` (stopped at its first exec)
  // until every task has exited; returns the root's wait status.
  int run(pid_t root);
  // `rp record -p`: records the threads `tids` of process tgid, already
  // traced (PTRACE_SEIZE) and held in a stop each, from their current state.
  // One of `detach_on` arriving at rp ends the recording: every thread is
  // stopped, `before_detach` gets their tids (for undoing what rp changed in
  // the process) and rp detaches, leaving the process running.
  using DetachHook = std::function<void(const std::vector<pid_t>& stopped)>;
  int run_attached(pid_t tgid, const std::vector<pid_t>& tids, const sigset_t& detach_on,
                   DetachHook before_detach);
  bool detached() const { return detached_; }
  uint64_t unknown_syscalls() const { return unknown_syscalls_; }
  uint64_t unknown_ioctls() const { return unknown_ioctls_; }
  const RegionLoss& region_loss() const { return loss_; }
  uint64_t preemptions() const { return preemptions_; }
  // The threads being recorded now.
  std::vector<pid_t> tids() const;

 private:
  // kStopped: in a group-stop (SIGSTOP, SIGTSTP...), held there until a
  // SIGCONT is pending for it (continue_stopped).
  enum class Run { kRunnable, kRunning, kInKernel, kDying, kStopped };
  struct Task {
    pid_t tid = 0, tgid = 0;
    // Its slot group's key (groups_): its process's tgid, or the key of the
    // process it was forked from when the two share writable memory
    // (slot_for_child).
    pid_t slot = 0;
    Tracee mem;  // the thread's memory (tid)
    Run run = Run::kInKernel;
    int pending_sig = 0;
    bool preempt_requested = false;
    int64_t runnable_since_us = 0;  // when it last queued for its slot (make_runnable)
    bool snapshot_stop = false;  // rp sent SIGSTOP for a snapshot (hold_in_kernel)
    bool in_syscall = false;
    // Events-only: stopped by launch's filter at a call that may make file
    // code executable (kExecMapTrap); its counter reads are patched at the
    // exit stop asked for (counter_patch.h).
    bool sweep_at_exit = false;
    int64_t sweep_nr = 0;
    uint64_t sweep_args[6] = {};
    bool initial_stop_pending = false;
    // Its first stop came before its creator's fork event and is kept until
    // that event says whether an emulated tracer traces it (adopt_new_tracee),
    // and names its parent in the trace (replay finds a clone's child by it).
    bool adopted_early = false;
    bool initial_stop_deferred = false;
    // The call was skipped in the kernel (ENOSYS refusal, emulated ptrace or
    // wait): its result, and bytes rp wrote for it into the thread's memory.
    std::optional<int64_t> forced_ret;
    std::vector<MemRecord> forced_mem;
    // ptrace backend: a refused call (ENOSYS policy) is skipped in the kernel
    // only as it goes on from its entry stop (enter_kernel).
    bool skip_at_enter = false;
    // rp's SIGSTOP brings it out of a blocking wait, or (events-only) to a
    // stop from which it runs with syscall stops (emulation_stops).
    bool wait_kicked = false;
    // Held at the entry of a wait for an emulated tracee that is not its
    // child, until that tracee stops or ends (emulate_wait).
    bool wait_held = false;
    // The output (output_gate.cc) whose gate this call holds or waits for, -1 none.
    int output_gate = -1;
    // rt_sigaction(SIGCHLD, act) at its entry: whether act sets SA_NOCLDSTOP.
    std::optional<bool> sigchld_nocldstop;
    int64_t nr = -1;
    uint64_t args[6] = {};
    // The last call it made that restart_syscall may continue (rp_abi.h).
    rp_restart restart{};
    uint64_t entry_seq = 0;
    // Events-only: the number its current call's event takes, when taken
    // early (an emulated ptrace request, emulation_entry); 0: at its exit.
    uint64_t exit_seq = 0;
    // The current call is its tracer's (PTRACE_SYSEMU): skipped, recorded
    // as kEmulatedByTracer, no outputs read.
    bool emulated_by_tracer = false;
    // Its tracer single-steps it (PTRACE_SINGLESTEP, SYSEMU_SINGLESTEP): the
    // next resume is a real step.
    bool step_next = false;
    // Exec'd, cpuid not yet made to fault in the new program (cpuid_trap.h):
    // resumed to its execve's exit stop, where rp does it.
    bool cpuid_fault_due = false;
    // Whether SIGSEGV is in the thread's blocked mask, where rp knows it
    // (segv_mask.cc): a trapped rdtsc/cpuid's forced SIGSEGV unblocks it.
    std::optional<bool> segv_blocked;
    int64_t t_entry = 0;  // CLOCK_MONOTONIC ns at the entry stop of the current syscall
    EntryLens lens;
    std::vector<MemRecord> inputs;
    std::optional<uint64_t> in_hash;
    // splice out of a pipe into the output: the pipe's head at the entry
    // (kernel_copy.h peek_splice_source), for the exit's read-back.
    std::optional<EntryPeek> copy_peek;
    bool have_exit_regs = false;
    Regs exit_regs;
  };

  Task& add_task(pid_t tid, pid_t tgid, pid_t parent);
  void on_syscall_entry(Task& t);
  void read_entry(Task& t, const SyscallSpec& s);
  std::optional<uint64_t> input_hash(Task& t, const SyscallSpec& s);
  // exit_stop false: the call had no exit stop (a vsyscall answered at its
  // seccomp stop), so none is held for the thread's tracer either.
  void on_syscall_exit(Task& t, bool exit_stop = true);
  void ring_snapshot(Task& t, const Regs& regs, uint64_t seq);
  bool snapshot_possible(const Task& t);
  // The flight recorder under a kernel backend (record/ring_kernel.cc).
  void kernel_ring_tick();
  bool kernel_ring_snapshot();
  bool hold_all();
  bool held(pid_t tid);
  void release_held();
  void hold_in_kernel(pid_t tid);
  void on_signal(Task& t, int sig);
  void on_ptrace_event(Task& t, int event);
  void on_task_gone(pid_t tid, int status);
  // The code a counter-read sweep in tid's address space takes within
  // [lo, hi) (counter_patch.h, mapped_code_sections), noted in the trace
  // for replay's same sweep; none where rp does not patch.
  std::vector<CodeRange> code_to_sweep(pid_t tid, uint64_t lo, uint64_t hi);
  // The sweep at the exit of a call that made code executable (mmap,
  // mprotect with PROT_EXEC), as replay makes it at the same exit.
  bool sweep_new_code(pid_t tid, int64_t nr, const uint64_t args[6], int64_t ret,
                      std::string* why);
  // True if it resumed or held t itself.
  bool on_seccomp_stop(Task& t, unsigned long data);
  void answer_trapped_call(Task& t, const TrappedCall& c);
  bool answer_vsyscall(Task& t);  // record/vsyscall.cc
  std::vector<MemRecord> exec_identity(Task& t);
  void answer_tsc_mode(Task& t);
  void sweep_mapped_code(Task& t, int64_t ret);
  // name: the kernel's name for the program (exec_name: AT_EXECFN), read once by the caller.
  void record_exec(Task& t, Event& e, const std::string& name);
  void record_file_mapping(Task& t, Event& e);
  // stop: the kernel side's note of this stop (events-only mode).
  bool emulate_trapped_insn(Task& t, const rp_stop_point& stop);
  // segv_mask.cc: SIGSEGV's blocked bit kept across rp's own traps.
  void learn_segv_mask(Task& t);
  void note_segv_mask_call(Task& t);
  void restore_segv_mask(Task& t, const rp_stop_point& stop);
  void fault_cpuid(Task& t);  // at an exit stop
  uint32_t disposition(pid_t tid, int sig);
  // Scheduling: the threads of one process run user code one at a time and
  // switch only at stops rp records, so the recorded order of stops is an
  // order replay can enforce. A thread in a syscall keeps its process's slot
  // for a short grace period (its result is usually immediate, and writes
  // then reach files and pipes in the recorded order); a blocking one gives
  // it up. A thread that runs user code for a whole timeslice while others
  // wait is preempted (recorded as a preemption event).
  // Processes that share writable memory (a MAP_SHARED mapping inherited
  // at fork, CLONE_VM) share one slot, as threads do: their races in that
  // memory are then ordered by recorded stops too.
  struct Group {
    pid_t holder = 0;
    bool holder_in_kernel = false;
    // The holder keeps the slot, whatever the time: in exit/exit_group until
    // its PTRACE_EVENT_EXIT (task_dying) or its death; in a fork until it
    // returns (copies_memory in ptrace_recorder.cc).
    bool holder_keeps = false;
    // The holder was given the slot inside its sched_yield by a sibling's
    // yield (enter_kernel): it keeps it while it is on its way out of that
    // call, up to a timeslice, however busy the CPU.
    bool yield_target = false;
    int64_t since_us = 0;
    std::vector<pid_t> runnable;  // front = next
  };
  void enter_kernel(Task& t);
  void make_runnable(Task& t, int sig, bool front);
  void release_slot(Task& t);
  void hold_stopped(Task& t);
  void continue_stopped();
  void schedule(Group& g);
  bool waiter_starved(const Group& g) const;
  const Task* waiting_task(pid_t tid) const;
  pid_t slot_for_child(const Task& parent, int event, pid_t child) const;
  pid_t slot_for_adopted(const Task& t) const;
  void leave_shared_slot(Task& t);
  int64_t next_deadline_us();
  void handle_timeouts();
  bool sends_bytes_busy(pid_t holder) const;
  static bool still_at_exit(const Task& t, const Regs& regs);
  static bool rewound_at_exit(const Task& t, const Regs& regs);
  void handle_stop(pid_t tid, int status);
  void task_dying(Task& t);
  void flush_unfinished(Task& t);
  void resume(pid_t tid, int sig);
  // output_gate.cc: one write at a time into each of rp's outputs.
  int output_gate_of(const Task& t);
  void note_fd_change(const Task& t);
  bool wait_for_output_gate(Task& t);
  void leave_output_gate(pid_t tid);
  Event new_event(const Task& t, EventKind kind);
  // CLOCK_MONOTONIC ns, read at most once per stop (a syscall: tracer_tsc.h).
  int64_t stop_ns();
  // disposition: what the delivery does, when it is not the thread's own
  // (a dying pid-namespace init's fault: the default action).
  void record_signal(Task& t, int sig, const siginfo_t& si, uint32_t at_syscall,
                     std::optional<uint32_t> disposition = std::nullopt);
  // A pid-namespace init that a fault kills (record/dying_init.cc).
  bool init_dies_of(const Task& t, int sig, const siginfo_t& si);
  void let_init_die(Task& t, int sig, const siginfo_t& si, uint32_t at_syscall);
  void reap_dying_inits();
  // A thread of t's slot group inside a sched_yield, if any.
  Task* sibling_in_yield(const Task& t);
  // No other thread of t's process is alive (in tasks_ and not dying).
  bool last_live_thread(const Task& t) const;
  struct DyingInit {
    unique_fd pidfd;
    int sig = 0;
  };
  std::map<pid_t, DyingInit> dying_inits_;
  // To the trace: through the kernel capture's queue in events-only mode (in
  // sequence order with the kernel's records), else through q_.
  void emit(Event&& e);
  // The program's own ptrace (record/ptrace_emulation.cc).
  void emulate_ptrace(Task& t);
  // Events-only mode: the syscall stops the emulation needs, and only those
  // threads pay for them (record/ptrace_emulation.cc).
  bool emulation_stops(const Task& t) const;
  void emulation_entry(Task& t);
  void begin_stopped_call(Task& t);
  uint64_t entry_number(Task& t);
  void number_entry(Task& t);
  void take_held_call(Task& t, bool emulated);
  void read_call(Task& t);
  bool emulation_exit(Task& t);
  void kick(Task& t);
  void kick_tracer(pid_t tgid, pid_t except);
  bool take_kick(Task& t);
  bool take_merged_kick(Task& t);
  void take_first_stop(Task& t);
  int64_t ptrace_request(Task& t, pid_t pid, EmuTracee& et);
  int64_t set_tracee_regs(pid_t pid, Task& tracee, EmuTracee& et, const std::string& b);
  void emulate_wait(Task& t);
  bool wait_matches(const Task& waiter, pid_t tracee) const;
  void answer_wait(Task& waiter, pid_t tracee, EmuTracee& et);
  bool hold_for_tracer(Task& t, EmuStop where, int sig, const siginfo_t* si, bool at_syscall);
  bool hold_at_event(Task& t, int event, unsigned long msg);
  void hold_and_report(Task& t, EmuTracee& et, EmuStop where);
  void report_group_stop(Task& t);
  void report_group_stop_end(Task& t, EmuTracee& et);
  void adopt_new_tracee(const EmuTracee& creator, pid_t child);
  bool hold_new_tracee(Task& t);
  bool new_tracees_possible() const;
  void report_stop(pid_t tracee, EmuTracee& et, EmuStop where);
  bool kicked_wait_ended(Task& t, int64_t ret);
  void send_deferred_sigchld(Task& waiter, int64_t ret);
  void resume_tracee(pid_t tracee, EmuTracee& et, int sig, bool detach);
  void hold(Task& t);
  void skip_call(Task& t, int64_t ret);
  void emu_task_gone(pid_t tid, pid_t tgid, int status);
  bool report_exit(pid_t tracee, int status);
  void announce(pid_t tracee, EmuTracee& et);
  bool answer_held_wait(pid_t tracee, EmuTracee& et);
  siginfo_t child_siginfo(pid_t tracee, const EmuTracee& et) const;
  void trap_after_exec(Task& t);
  // SIGCHLD to the tracer for an emulated tracee's stop, as the kernel sends it.
  void notify_tracer(pid_t tracee, EmuTracee& et);
  void sigchld_arrived(Task& t, int sig, siginfo_t& si);
  void note_sigchld_action(Task& t, bool at_entry, int64_t ret);
  void refuse_note(const std::string& what);
  int loop();
  bool may_block_in_wait();
  void detach_all();
  // Interrupts running thread tid and waits for its stop; false if it ended
  // (or is ending: then it is detached already).
  // *resend: the signal it stopped for, to send again once detached.
  bool stop_for_detach(pid_t tid, int* resend);

  TraceWriter& w_;
  EventQueue q_;  // events to w_ (record/event_queue.h)
  EventsOnlyHooks* kernel_ = nullptr;  // events-only mode
  std::map<pid_t, Task> tasks_;
  std::map<pid_t, Group> groups_;  // by Task::slot
  std::set<pid_t> stopping_;       // processes a stop signal was delivered to, not continued since
  int64_t stop_poll_at_us_ = 0;    // when continue_stopped next reads /proc
  int sigchld_fd_ = -1;
  std::string initial_exe_;
  bool trap_cpuid_ = false;
  int tracer_cpu_ = -1;
  uint64_t seq_ = 0;
  uint64_t stop_seq_ = 0;
  std::optional<rp_point_digest> stop_digest_;  // the kernel side's, with stop_seq_
  int64_t stop_ns_ = 0;  // stop_ns() of the stop being handled, 0 outside one  // events-only: the number of the signal stop being handled
  pid_t root_ = 0;
  OutputFiles outputs_;  // the root's stdout and stderr at the start (kernel_copy.h)
  struct OutputGate {
    pid_t writer = 0;            // in the kernel, writing to this output
    std::deque<pid_t> waiting;   // at their entry stops, in the order they came
  };
  OutputGate output_gates_[2];   // stdout's file, stderr's (output_gate.cc)
  // By process: the descriptor its last write went to, and its gate.
  std::map<pid_t, std::pair<uint64_t, int>> gate_of_fd_;
  int root_status_ = 0;
  uint64_t unknown_syscalls_ = 0, unknown_ioctls_ = 0, preemptions_ = 0;
  RegionLoss loss_;
  std::map<pid_t, EmuTracee> emu_;  // emulated tracees by tid
  std::map<pid_t, siginfo_t> sigchld_sent_;  // by tracer tgid: rp's SIGCHLD, not delivered yet
  std::map<pid_t, bool> nocldstop_;           // by tgid: SIGCHLD's action has SA_NOCLDSTOP
  bool refused_noted_ = false;
  std::optional<sigset_t> detach_on_;
  DetachHook before_detach_;
  bool detached_ = false;
  Ring* ring_ = nullptr;
  bool holding_ = false;  // ring_snapshot: no thread is resumed
  std::function<void()> save_;
  std::function<void()> after_task_gone_;
  std::set<pid_t> killed_;  // processes killed to end the recording (kill_all_for_end)
  // Kernel backend's flight recorder: a due snapshot put off (tried again
  // in kRingRetryMs), and the drain thread's wake-up when the next comes due.
  bool ring_retry_ = false;
  int ring_wake_fd_ = -1;
  bool save_pending_ = false;  // kernel backend: a save waits for every thread held
};

}  // namespace rp
