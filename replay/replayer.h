// Replays a trace under ptrace: one thread runs at a time, in the recorded
// global order; at each syscall the recorded result is injected (PTRACE_SYSEMU:
// one stop per emulated call) or, for what shapes the tracee itself, the call
// is executed and checked against the recording.
#pragma once
#include <sys/types.h>

#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch.h"
#include "counter_patch.h"
#include "entry_scheduler.h"
#include "error.h"
#include "file_maps.h"
#include "shared_files.h"
#include "launch.h"
#include "output_fds.h"
#include "point_patch.h"
#include "proc_maps.h"
#include "progress.h"
#include "replay_task.h"
#include "trace.h"

namespace rp {

struct ReplayOptions {
  std::string trace;
  bool quiet = false;  // do not print the program's stdout/stderr writes
};

int replay_main(const ReplayOptions& opts);

// The registers a signal or preemption record holds (the raw set the
// recorder stored, zero padded).
inline Regs recorded_regs(const SignalExtra& x) {
  static_assert(sizeof(RawRegs) <= sizeof x.regs);
  Regs r;
  std::memcpy(&r.raw, x.regs, sizeof r.raw);
  return r;
}

// Why this machine cannot replay `trace` (its meta says it holds no state to
// start from, or another architecture recorded it); "" when it can. Every
// command that replays (replay, replay -g, dump -k / -e write=) asks this.
std::string why_not_replayable(TraceReader& trace);

// Which arguments of a call the kernel reads, as a bit mask (syscalls.cc):
// the others may hold anything and are not compared.
unsigned checked_args(int64_t nr, const uint64_t args[6], int nargs);

// Whether this successful call cut a file (ftruncate; open, openat or creat
// with O_TRUNC): replay then cuts the file's shared window (syscalls.cc).
bool truncates_file(const Event& e);

// write, writev, pwrite64, pwritev, pwritev2: calls that write a file at
// its offset or one they name (memory_writes.cc).
bool writes_a_file(int64_t nr);

// Whether replaying this emulated call of the program's own ptrace changes
// its tracee (POKE, SETREGS: ptrace_emulation.cc), beyond the call's result.
bool emulated_ptrace_changes_tracee(const Event& e);
// A successful setrlimit/prlimit64 of the program's own stack limit, which
// replay applies for real (stack_limit.cc).
bool sets_stack_limit(const Event& e);

struct AgentState;
struct AgentSpace;

// Thrown when the replayed program stops following the trace.
class Divergence : public Error {
 public:
  using Error::Error;
};

// ---- Debugger control (used by replay/gdb_target.cc) ----
// Points where the replay hands control to a debugger. While a hook runs,
// every task is in a ptrace stop (but a vfork parent inside its vfork), so
// registers and memory can be read.
struct ReplayStop {
  enum Kind {
    kStart,        // the program is exec'd, before its first instruction
    kBeforeEvent,  // about to replay `event`; every earlier event is done
    kTrap,         // `tid` stopped with a SIGTRAP the replay did not cause
    kSignal,       // `tid` is about to receive the recorded signal `value`
    kExiting,      // `tid` is at the entry of exit or exit_group (`value`: nr)
    kExec,         // `tid` has just exec'd a new program (after the first)
    kFork,         // `tid` has just forked (not vfork) process `value`
    kVfork,        // `tid` is vforking process `value` (at its ptrace event stop; the
                   // child has not run yet)
    kVforkDone,    // `tid`, a vfork parent, is back from the kernel (its child exec'd or left)
    kTaskGone,     // `tid` has ended (`value`: its wait status)
    kEnd,          // no event is left
  };
  Kind kind;
  pid_t tid = 0;  // recorded tid
  int64_t value = 0;
  const Event* event = nullptr;  // kBeforeEvent
};

class Replayer;
class ReplayControl {
 public:
  virtual ~ReplayControl() = default;
  // Returns when the debugger lets the replay go on (or throws to abandon
  // it). kTrap: true if the SIGTRAP was the debugger's (breakpoint,
  // watchpoint, single step) and is consumed; false lets the replay judge it.
  virtual bool on_stop(Replayer& r, const ReplayStop& s) = 0;
};

// A thread stopped at the entry of recorded call `seq`: the call and its
// arguments as its registers hold them, which the replay compares with the
// trace (and the data it sends with the recorded hash) right after the
// observer has seen them: a call that differs ends the replay in a divergence.
struct SyscallEntryStop {
  uint64_t seq = 0;
  pid_t rec_tid = 0, real_tid = 0, real_tgid = 0;
  int64_t nr = -1;
  const uint64_t* args = nullptr;  // 6
};

// Sees each thread stopped at the entry of a recorded syscall, before the
// replay emulates or runs it (`rp dump -k` unwinds the stack there, `rp dump
// -e write=FD` reads the data sent). The thread is in a ptrace stop of this
// process: its registers and memory can be read; it must be left as it is.
class SyscallObserver {
 public:
  virtual ~SyscallObserver() = default;
  virtual void at_syscall_entry(const SyscallEntryStop& s) = 0;
};

struct DebugTask {
  pid_t rec = 0, real = 0, real_tgid = 0;
  bool stopped = false;  // in a ptrace stop: registers readable
  bool held = false;     // between its events, no syscall pending
  uint64_t ran_seq = 0;  // the event during whose replay it last ran user code
};

class Replayer {
 public:
  Replayer(TraceReader& trace, bool quiet);
  // Runs the whole trace; returns the exit code the recorded run had.
  int run();
  // Kills and reaps whatever of the program is left.
  ~Replayer();

  // ---- for a debugger ----
  void set_control(ReplayControl* c) { control_ = c; }
  void set_quiet(bool q) { quiet_ = q; }
  void set_syscall_observer(SyscallObserver* o) { syscall_observer_ = o; }
  // Stepped once per replayed event; erased before the program's stderr output.
  void set_progress(Progress* p) { progress_ = p; }
  std::vector<DebugTask> debug_tasks() const;  // tasks not yet gone
  pid_t root_tid() const { return root_rec_; }
  uint64_t current_seq() const { return seq_; }
  // Runs the task's user code one instruction at a time (SIGTRAP after each).
  void set_stepping(pid_t rec_tid, bool on);

 private:
  using Task = ReplayTask;
  using State = TaskState;

  // replayer.cc: start, end, lookup, debugger hooks, checked ptrace
  LaunchSpec launch_spec();
  void choose_rdtsc_replay();  // x86_64: whether to patch rdtsc here (insn.h)
  void choose_cpuid_replay();  // whether cpuid must fault here (cpuid_trap.h)
  // A call rp made in the recorded program (kMadeByRp), made again here.
  void replay_rp_call(Task& t, const Event& e);
  pid_t launch(LaunchSpec& spec);
  pid_t launch_in_root(LaunchSpec& spec);
  void pin_like_recording(pid_t root);
  void start(LaunchSpec& spec, const Event& exec);
  void start_from_snapshot(LaunchSpec& spec);  // restore.cc: an attach recording
  void kill_all();
  Task& task(pid_t rec_tid, const Event& e);
  [[noreturn]] void diverge(const Event& e, const std::string& why);
  [[noreturn]] void fail(const Task& t, const std::string& why);
  void request(Task& t, int req, void* addr, void* data);
  void resume_request(Task& t, int req, int sig);
  Regs get_regs(Task& t);
  void set_regs(Task& t, const Regs& r);
  bool at_syscall_entry(Task& t);
  bool at_vsyscall(Task& t, int status);
  void send_signal(Task& t, int sig);
  // Debugger hooks: cont() resumes user code (stepping if asked);
  // debug_trap() offers a SIGTRAP stop to the control.
  void cont(Task& t, int sig);
  bool debug_trap(Task& t, int status);
  void notify(ReplayStop::Kind kind, pid_t tid, int64_t value = 0, const Event* e = nullptr);

  // dispatch.cc: what one entry or event does
  bool enter_syscall(const SyscallEntry& entry, const Event& now);
  // A fork entered whose memory copy the trace numbered (fork_copy.h): made
  // once the entries and events before that number are (run_forks_due).
  struct PendingFork {
    int32_t tid = 0;
    uint64_t of = 0, copy = 0;  // its syscall event; the copy's number
  };
  std::vector<PendingFork> pending_forks_;
  void run_forks_due(uint64_t seq, const EntryScheduler::EntryFn& enter);
  void dispatch(const Event& e);
  void replay_syscall(Task& t, const Event& e);
  // ptrace_emulation.cc: the program's own ptrace requests that changed its tracee
  void apply_emulated_ptrace(Task& tracer, const Event& e);
  // stack_limit.cc: a new RLIMIT_STACK the program set applies for real
  void apply_stack_limit(Task& t, const Event& e);
  // memory_writes.cc: process_vm_writev and /proc/PID/mem writes reach their target
  void apply_memory_write(Task& writer, const Event& e);
  void apply_vm_writev(Task& writer, const Event& e);
  std::string written_bytes(Task& writer, const Event& e);
  ReplayTask* live_task_of_process(pid_t rec);
  void write_process_memory(pid_t rec, const std::vector<Region>& pieces, const std::string& data,
                            const Event& e, const std::string& what);

  // syscalls.cc: reaching, checking, emulating and executing syscalls
  void resume(Task& t);
  int wait(Task& t);
  int wait_syscall_stop(Task& t, bool want_entry);
  void reach_syscall(Task& t, const Event& e);
  void finish_in_syscall(Task& t);
  void check_call(Task& t, const Event& e);
  void emulate(Task& t, const Event& e);
  void reenter_syscall(Task& t, const Event& e);
  void place_mapping(Task& t, const Event& e);
  // A mapping's window in the replay's memfd: the file (object), the file
  // offset of the mapping's byte 0, and where that is in the memfd.
  struct Window {
    uint64_t object = 0, file_off = 0, at = 0;
  };
  static constexpr uint64_t kSysvObjects = 1ULL << 63;  // | shmid: a segment's object
  std::optional<Window> file_window(const Event& e);
  bool maps_past_eof(const Event& e) const;
  void cut_past_eof(Task& t, const Event& e);
  void write_mapped_bytes(Task& t, const Event& e);
  void truncate_shared_file(Task& t, const Event& e);
  void zero_shared_range(const Event& e);
  void remap_past_end(Task& t, const Event& e, uint64_t object, uint64_t len,
                      bool grow_only = false);
  void execute(Task& t, const Event& e);
  bool write_grown_window(const FileMaps& fmaps, const Event& e);
  void remap_piecewise(Task& t, const Event& e, Regs& after);
  void restore_call_args(Task& t, const Regs& entry, Regs& after);
  void execute_clone(Task& t, const Event& e);
  void drop_namespace_flags(Task& t);
  pid_t recorded_child(const Task& t, const Event& e);
  // exec_from_thread.cc: an execve by a thread other than the leader
  Task* exec_from_other_thread(Task& t, const Event& e);
  void execute_exec_from_thread(Task& leader, Task& execer, const Event& e);
  void track_file_maps(Task& t, const Event& e);
  void sweep_mapped_code(Task& t, const Event& e);
  // The code a counter-read sweep of t's (within [lo, hi)) takes: what the
  // trace noted for the recording's same sweep (list kCounterCode, the
  // code sections of each file), inside `allowed`, the code replay's maps
  // show there; for a trace that noted none, all of `allowed`.
  std::vector<CodeRange> noted_code(Task& t, const Event& e, uint64_t lo, uint64_t hi,
                                    const std::vector<CodeRange>& allowed);
  std::vector<CodeRange> exec_code(Task& t, const Event& e);  // an execve's: everything
  void execute_exit(Task& t, const Event& e);
  bool killed_in_exit_group(const Task& t, const Event& e);
  void write_recorded_mem(Task& t, const Event& e);
  // `sent`: the bytes the replay agent copied at the call (agent_sends.cc).
  void echo_output(Task& t, const Event& e, const std::string* sent = nullptr);
  void write_to_shared_maps(Task& t, const Event& e);

  // signals.cc: signals, trapped instructions, preemption points, ends
  void deliver_signal(Task& t, const Event& e);
  void hold_at_fault(Task& t, const Event& e, int sig, const SignalExtra& x);
  bool deliver_at_held_fault(Task& t, int sig, SignalExtra& x);
  void restart_interrupted_call(Task& t, bool eintr_too = false);
  bool next_own_signal_at_syscall(const Task& t);
  void adopt_call_sigmask(Task& t, int sig);
  void observe_exit(Task& t, const Event& e);
  bool group_lives_on(const Task& t) const;
  void reap_ended_leader(const Task& t);
  void let_die(Task& o);
  void let_exec_end_others(const Task& execer);
  void replay_insn(Task& t, const Event& e);
  void wait_signal_stop(Task& t, const Event& e, int sig, const std::string& syscall_instead);
  // For a divergence at a syscall stop that came instead of a point: the
  // call's name and where the thread made it.
  std::string call_made_instead(Task& t);
  // A stop at a trapped instruction where the trace has something else
  // (`expected`): the program took another path. Diverges; else returns.
  void check_stray_insn_trap(Task& t, const Event& e, int status, const std::string& expected);
  // What happens at the point run_to_point reaches: a recorded signal is
  // delivered there, or the thread is switched out (nothing delivered).
  enum class AtPoint { kDeliverSignal, kSwitch };
  // True if the thread stayed at a signal stop, its signal still to deliver.
  bool run_to_point(Task& t, const Event& e, const Regs& target, AtPoint then);
  bool search_point(Task& t, const Event& e, const Regs& target, AtPoint then);
  void reach_entry_point(Task& t, const Event& e, const Regs& target);
  // Tells the syscall observer, if any, that t is at the entry of event seq.
  void observe_entry(Task& t, uint64_t seq);

  // point_search.cc: finding an asynchronous point (the two searches run_to_point uses)
  enum class Search { kFound, kNotFound, kUnavailable };
  void stop_in_place(Task& t, const Event& e);
  // The thread's mask, and whether it blocks and ignores one signal (from
  // its /proc status, given back in *status if asked): SIGTRAP's before a
  // search (open_sigtrap), a forced signal's (force_signal).
  struct SignalState {
    uint64_t mask;  // blocked signals
    bool blocked, ignored;
  };
  SignalState signal_state(Task& t, const Event& e, int sig, std::string* status = nullptr);
  void unblock_signal(Task& t, const Event& e, const SignalState& s, int sig);
  SignalState open_sigtrap(Task& t, const Event& e);
  void close_sigtrap(Task& t, const Event& e, const SignalState& s);
  void set_signal_handler(Task& t, const Event& e, int sig, uint64_t handler);
  void force_signal(Task& t, const Event& e, int sig);
  // `rep`: the recorded instruction is a rep string one (point_rep.h).
  Search search_by_breakpoint(Task& t, const Event& e, const Regs& target,
                              const std::optional<RepString>& rep, uint64_t max_passes,
                              uint64_t* passes);
  void say_slow_memory_search(const Task& t, const Event& e, int64_t since, uint64_t stops);
  Search search_patched(Task& t, const Event& e, const Regs& target,
                        const std::optional<RepString>& rep, uint64_t max_passes,
                        uint64_t* passes, std::string* why, bool check_unique,
                        bool at_point);
  bool arrived(Task& t, const Event& e, const Regs& target, const std::optional<RepString>& rep,
               const Regs& now, uint64_t insn_at);
  bool to_interior_copy(Task& t, const Trampoline& tramp, uint64_t after);
  // point_unique.cc: whether a switch point found is the only pass with its registers
  // The thread's way from the current event to its next stop in its own code
  // path (a syscall or a trapped instruction): next, after switches of its
  // own only (other threads ran between them), or none in reach. stop_ns:
  // that stop's recorded time, where the trace has it.
  enum class OwnWay { kNone, kNext, kThroughSwitches };
  OwnWay way_to_own_stop(const Task& t, std::optional<int64_t>* stop_ns = nullptr);
  bool leader_execs_next(pid_t leader);
  bool can_check_point(Task& t);
  bool memory_matches(Task& t, pid_t pid, const Event& e, const Regs& at,
                      const std::vector<uint64_t>& own);
  std::vector<DigestWindow> compared_windows(Task& t, pid_t pid, const Event& e, const Regs& at,
                                             const std::vector<uint64_t>& own);
  enum class StackVerdict { kNone, kHere, kFurther };
  StackVerdict ask_stacks(Task& t, const Event& e, const Regs& target,
                          const std::optional<Trampoline>& tramp,
                          const std::function<bool()>& rearm, const Regs& match,
                          uint64_t max_passes);
  std::vector<DigestWindow> trampoline_windows(Task& t, const Event& e, const Regs& target,
                                               const std::optional<RepString>& rep);
  uint64_t passes_to_recurrence(Task& t, const Event& e, const Regs& target,
                                const Trampoline& tramp, const Regs& at_match, uint64_t max_passes);
  int64_t inject_syscall(Task& t, const Event& e, long nr, std::initializer_list<uint64_t> args);

  // agent/agent_replay.cc: the in-process replay agent (RP_AGENT=0: off)
  bool next_event(Event& e);           // the main loop's events, after any peeked
  const Event* peek_event(size_t i);   // the i-th event after the current one
  void agent_setup();
  void agent_report();
  bool agent_answered(Task& t, const Event& e);  // answered in the program: passes it
  // agent/agent_sends.cc: calls that send bytes, answered by the agent
  bool write_reaches_memory(const Task& t, const Event& e) const;
  void agent_finish_send(Task& t, const Event& e, const std::string& sent);
  bool agent_will_answer(uint64_t seq) const;
  // The event a thread is at after the agent answered `answered` calls from e on.
  const Event& agent_due(const Event& e, uint64_t answered) const;
  AgentSpace& agent_space(const Task& t);
  void agent_on_clone(const Task& parent, const Task& child, bool shares_memory);
  void agent_on_exec(pid_t old_tgid, pid_t new_tgid);
  void agent_arm(Task& t, const Event& e);
  uint64_t agent_drain(Task& t);
  void agent_take_sent(Task& t, uint64_t n);
  bool agent_empty_window_of_copy(pid_t copy, pid_t tgid);
  uint64_t agent_base(pid_t tgid) const;  // the agent's mapping in that process, 0: none
  void agent_rewind(Task& t);
  bool agent_interior_trap(Task& t, int status);
  void agent_leave_stub(Task& t);
  Regs agent_site_regs(pid_t tgid, Regs r) const;
  bool agent_map(Task& t, const Event& e, uint64_t addr, uint64_t len, int prot);
  bool agent_others_clear(const Task& t, const AgentSpace& sp, uint64_t site, uint64_t len);
  std::string agent_site_refusal(Task& t, uint64_t site, uint64_t len);
  void agent_patch_site(Task& t, const Event& e);
  std::optional<std::pair<uint64_t, uint8_t>> agent_stub_place(Task& t, const Event& e,
                                                               const PatchSite& site, uint64_t len);
  void agent_unusable(const std::string& why);

  ReplayControl* control_ = nullptr;
  SyscallObserver* syscall_observer_ = nullptr;
  Progress* progress_ = nullptr;
  pid_t root_rec_ = 0;
  uint64_t seq_ = 0;
  TraceReader& trace_;
  bool quiet_;
  std::map<pid_t, Task> tasks_;  // by recorded tid
  OutputFds output_fds_;
  std::map<pid_t, FileMaps> file_maps_;     // by real tgid
  SharedFiles shared_files_;                // the windows of shared file mappings
  std::map<pid_t, uint64_t> robust_heads_;  // set_robust_list, by recorded tid
  std::optional<std::map<int32_t, int32_t>> namespace_tids_;  // read at the first clone
  void mark_robust_dead(Task& t);
  void note_sent_fds(Task& t, const Event& e);
  void mark_pi_waiter(Task& t);
  std::vector<TaskInfo> recorded_tasks_;    // the trace's tasks table, read once
  const std::vector<TaskInfo>& recorded_tasks();
  std::optional<int64_t> recorded_end(pid_t rec, uint64_t seq);  // its wait status, if any
  std::unique_ptr<AgentState> agent_;
  std::deque<Event> ahead_;                 // events peeked, not yet dispatched
  const Event* current_ = nullptr;          // the event the main loop dispatches
  EntryScheduler* entries_ = nullptr;       // the main loop's
  uint64_t events_ = 0;
  // After the run loop (RP_AGENT_STATS): rp's rdtsc faults during it, and
  // whether its thread still trapped rdtsc at the end (tracer_tsc.h).
  std::optional<uint64_t> tsc_faults_;
  uint64_t cpuid_faults_ = 0;  // in rp's thread (zstd asks cpuid once per context)
  bool tsc_trapping_ = false;
  bool warned_slow_search_ = false;  // said once: the breakpoint search is used
  bool warned_slow_memory_search_ = false;  // said once: say_slow_memory_search
  // memory_matches compares the digest's windows in the threads' stacks too:
  // set while a point the rest leaves ambiguous is searched again
  // (search_patched; point_unique.cc says why they are left out otherwise).
  bool compare_stacks_ = false;
  // The maps memory_matches read for this event's search in this process (or
  // copy): a search runs user code only, which maps nothing; rp's own
  // mappings made meanwhile (a trampoline) hold no compared window either way.
  struct SearchMaps {
    uint64_t seq = 0;
    pid_t pid = 0;
    std::vector<ProcMap> maps;
  };
  std::optional<SearchMaps> search_maps_;
  // What the trace says of the recording's counter-read sweeps, read once
  // (sweep_notes()).
  struct SweepNotes {
    bool mapped = false;  // meta counter_reads_mapped: the recorder swept mapped code
    bool noted = false;   // meta kCounterCodeNoted: it noted each sweep's code
    std::map<pid_t, std::deque<NotedSweep>> by_tid;  // list kCounterCode, in order
  };
  std::optional<SweepNotes> sweep_notes_;
  SweepNotes& sweep_notes();
  bool trap_rdtsc_ = true;  // PR_SET_TSC in the replayed program (not under RP_RDTSC=patch)
  bool trap_cpuid_ = false;  // the trace's meta cpuid_trapped
  int replay_cpu_ = -1;      // the program's and replay's thread's CPU (pin_like_recording)
  bool past_eof_file_ = false;  // the launcher's kPastEofFd is there (launch.h)
};

}  // namespace rp
