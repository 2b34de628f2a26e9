// The replay's frame: starting the program, the main loop, ending it, and
// the checked ptrace requests every part uses. What one event does is in
// dispatch.cc, syscalls in syscalls.cc, signals and ends in signals.cc.
#include "replayer.h"
#include "render.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "agent_state.h"
#include "cpuid_snapshot.h"
#include "cpuid_trap.h"
#include "cpu_pin.h"
#include "launch.h"
#include "render.h"
#include "replay_spec.h"
#include "snapshot.h"
#include "tracer_tsc.h"
#include "counter_patch.h"

namespace rp {
namespace {

constexpr long kOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                          PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
                          PTRACE_O_EXITKILL;

const char* request_name(int req) {
  switch (req) {
    case PTRACE_CONT: return "PTRACE_CONT";
    case PTRACE_SYSCALL: return "PTRACE_SYSCALL";
    case PTRACE_SYSEMU: return "PTRACE_SYSEMU";
    case PTRACE_SYSEMU_SINGLESTEP: return "PTRACE_SYSEMU_SINGLESTEP";
    case PTRACE_GETSIGINFO: return "PTRACE_GETSIGINFO";
    case PTRACE_SETSIGINFO: return "PTRACE_SETSIGINFO";
    case PTRACE_GETEVENTMSG: return "PTRACE_GETEVENTMSG";
    case PTRACE_GET_SYSCALL_INFO: return "PTRACE_GET_SYSCALL_INFO";
    default: return "ptrace";
  }
}

// Records a kernel backend lost (rp info's `lost records`) may be outputs
// the program read: replay would give it other bytes without noticing.
// ("unknown", a recording cut short, replays up to the cut.)
void refuse_lost_records(TraceReader& trace) {
  const std::string lost = trace.meta_or("lost_records", "0");
  if (lost != "0" && lost != "unknown")
    throw Error("the recording lost " + lost +
                " record(s) (rp info: lost records): replay cannot be exact");
}

}  // namespace

// ---- start and end ----

Replayer::Replayer(TraceReader& trace, bool quiet) : trace_(trace), quiet_(quiet) {
  refuse_lost_records(trace);
  output_fds_.set_start_cwd(trace.meta_or("cwd", ""));
  choose_rdtsc_replay();
  choose_cpuid_replay();
}

// The recording answered every cpuid (meta cpuid_trapped): the program must
// ask rp again, or it would run on this CPU's answers where the trace has
// the recording's. A machine that cannot make cpuid fault cannot replay it.
void Replayer::choose_cpuid_replay() {
  trap_cpuid_ = trace_.meta_or("cpuid_trapped", "0") == "1";
  if (trap_cpuid_ && !cpuid_faults())
    throw Error("the trace recorded the program's cpuid instructions, and this machine cannot "
                "make cpuid trap (no CPUID faulting, or RP_CPUID=untrapped): replay it on a "
                "machine that can, or record with RP_CPUID=untrapped");
}

void Replayer::replay_rp_call(Task& t, const Event& e) {
  if (t.state != State::kHeld) diverge(e, "thread is not where rp made its own call");
  // trace_check allows no other call of rp's.
  int64_t r = inject_syscall(t, e, kArchPrctlNr, {kArchSetCpuid, 0});
  if (r != e.ret)
    diverge(e, "rp's own call arch_prctl(ARCH_SET_CPUID, 0) gave " + render_return(r) +
                   " here, " + render_return(e.ret) + " in the recording");
  t.rp_call_due = false;
  t.state = State::kHeld;
}

// x86_64: rdtsc patched into ints that fault (insn.h) where the recorder
// patched it, and also where the recording trapped it but this machine
// cannot: the reads must still stop here to be given their values. A
// recording whose reads went unrecorded (rdtsc_trapped 0, not patched)
// replays them natively, as they ran.
void Replayer::choose_rdtsc_replay() {
#if defined(__x86_64__)
  const bool forced = rdtsc_patch_forced();
  const bool untrapped_here = forced || !rdtsc_traps();
  set_rdtsc_patched(trace_.meta_or("rdtsc_patched", "0") == "1" ||
                    (untrapped_here && trace_.meta_or("rdtsc_trapped", "1") != "0"));
  trap_rdtsc_ = !forced;
#endif
}
Replayer::~Replayer() {
  kill_all();
  agent_report();  // also after a divergence (RP_AGENT_STATS)
}

// Kills every task not yet gone and collects its end, so that no zombie
// outlives the replay (a debugger re-runs it many times). Threads first: a
// killed thread-group leader is reported only after them.
void Replayer::kill_all() {
  std::vector<pid_t> left;
  for (auto& [rec, t] : tasks_) {
    if (t.state == State::kGone) continue;
    kill(t.real, SIGKILL);
    left.insert(t.real == t.real_tgid ? left.end() : left.begin(), t.real);
    t.state = State::kGone;
    t.mem.address_space_changed();
  }
  // Bounded: a task that cannot be reaped (not ours any more) must not hang rp.
  int64_t deadline = tracer_clock_ns(CLOCK_MONOTONIC) + 5'000'000'000;
  for (pid_t real : left) {
    int st;
    while (waitpid(real, &st, __WALL | WNOHANG) == 0 &&
           tracer_clock_ns(CLOCK_MONOTONIC) < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// rp records a program on one CPU (meta "cpu"; older ptrace recordings
// ran anywhere), and so does replay: where cpuid was not trapped, CPUID
// reports the CPU it runs on (the APIC id in leaf 1's ebx, leaf 0xb's edx),
// so a preemption recorded right after a CPUID has registers that only that
// CPU reproduces. Threads and children inherit it. Replay's own thread
// goes there too (run): a ptrace stop that wakes it on another CPU costs
// ten times as much on these VMs (docs/performance.md).
void Replayer::pin_like_recording(pid_t root) {
  int cpu = -1;
  if (trace_.meta("cpu")) {
    cpu = static_cast<int>(trace_.meta_int("cpu", 0, 0, 4095));
    if (!cpu_allowed(cpu)) {
      std::cerr << "rp: warning: the recording ran on CPU " << cpu << ", which this replay "
                << "cannot use: a point recorded after a CPUID instruction may not be found\n";
      return;
    }
  } else {
    cpu = choose_recording_cpu();
  }
  pin_to_cpu(root, cpu);
  replay_cpu_ = cpu;
}

pid_t Replayer::launch(LaunchSpec& spec) {
  pid_t pid = launch_in_root(spec);
  try {
    pin_like_recording(pid);
  } catch (...) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, __WALL);
    throw;
  }
  return pid;
}

pid_t Replayer::launch_in_root(LaunchSpec& spec) {
  if (spec.root_files.empty()) return launch_traced(spec, kOptions);  // an older trace
  char dir[] = "/tmp/rp-root-XXXXXX";
  if (!mkdtemp(dir)) throw_errno("mkdtemp");
  spec.root_dir = dir;
  try {
    pid_t pid = launch_traced(spec, kOptions);
    rmdir(dir);  // the tmpfs lives in the child's mount namespace only
    return pid;
  } catch (const std::exception& e) {
    rmdir(dir);
    std::cerr << "rp: warning: no private root for the replay (" << e.what()
              << "); using this machine's files\n";
    spec.root_files.clear();
    return launch_traced(spec, kOptions);
  }
}

// The command line, environment and stored files the recording started with
// (replay_spec.h: the same code runs in the fuzz target).
LaunchSpec Replayer::launch_spec() {
  LaunchSpec spec = replay_launch_spec(trace_);
  spec.trap_rdtsc = trap_rdtsc_;
  spec.sandbox = true;  // defence in depth: docs/security.md
  spec.past_eof_file = true;
  if (auto rec = trace_.meta("cpuid")) {
    std::string diff = cpuid_first_difference(*rec, cpuid_snapshot());
    if (!diff.empty())
      std::cerr << "rp: warning: this CPU's CPUID differs from the recording's (" << diff << "): "
                << (trap_cpuid_ ? "the program is given the recording's answers; an instruction "
                                  "this CPU lacks would fault"
                                : "code that picks paths by CPU features may diverge")
                << "\n";
  }
  return spec;
}

// Runs the program up to the end of its first execve (the trace's first
// event), where the recording started.
void Replayer::start(LaunchSpec& spec, const Event& e) {
  pid_t root = launch(spec);
  past_eof_file_ = access(("/proc/" + std::to_string(root) + "/fd/" +
                           std::to_string(kPastEofFd)).c_str(), F_OK) == 0;
  if (!past_eof_file_ || !shared_files_.attach(root))
    std::cerr << "rp: warning: the descriptor limit leaves no room for fd " << kPastEofFd
              << ": pages past the end of mapped files will read zeros instead of raising "
              << "SIGBUS, and shared file mappings will be private copies\n";
  Task& r = tasks_[e.tid] = Task(e.tid, root, root);
  request(r, PTRACE_SYSCALL, nullptr, nullptr);
  r.state = State::kRunning;
  wait_syscall_stop(r, false);  // execve's exit stop
  if (r.state == State::kGone) throw Error("the program died while starting");
  write_recorded_mem(r, e);
  std::string why;  // patched at the same stop as in the recording
  if (!patch_exec_image(root, exec_code(r, e), &why)) throw Error(why);
  r.rp_call_due = trap_cpuid_;
  r.state = State::kHeld;
  root_rec_ = e.tid;
  seq_ = e.seq;
}

// rp replay exits with what it saw, not with what the trace claims; a
// difference (a trace whose metadata was changed, a recording cut short) is said.
static int replayed_exit_code(std::optional<int> seen, int recorded) {
  if (!seen) {
    std::cerr << "rp: the replayed program had not exited when the trace ended; exiting with "
              << "the recorded status " << recorded << "\n";
    return recorded;
  }
  int code = exit_code_of(*seen);
  if (code != recorded)
    std::cerr << "rp: the replayed program " << render_wait_status(*seen) << ", the trace says "
              << recorded << "; exiting with " << code << "\n";
  return code;
}

int Replayer::run() {
  // Before the run loop pins itself to the program's CPU: the reading
  // threads stay free to run on any (the scheduler placed them better than
  // keeping them off the run loop's CPU did: docs/performance.md, "Reading
  // ahead").
  trace_.read_ahead(TraceReader::Ahead::kEventsAndEntries);
  LaunchSpec spec = launch_spec();
  int exit_code = static_cast<int>(trace_.meta_int("exit_code", 0, 0, 255));
  Event e;
  if (has_snapshot(trace_)) {
    start_from_snapshot(spec);
  } else {
    if (!trace_.next(e) || e.kind != EventKind::kSyscall || e.nr != SYS_execve || e.ret != 0) {
      // Killed early, a bpf recorder can leave the supervisor's first
      // events without the writer's execve before them (a hole at the start).
      if (trace_.cut_short())
        throw Error("the recording was cut short before the program's first event (rp record "
                    "was killed or ran out of space): nothing to replay");
      throw Error("trace does not start with the program's execve");
    }
    start(spec, e);
  }
  // Each ptrace stop switches between this thread and the program, which
  // traps rdtsc: trapping here too spares a CR4 write per switch (tracer_tsc.h).
  TracerTsc tsc(trap_cpuid_);
  if (replay_cpu_ >= 0) pin_to_cpu(static_cast<pid_t>(syscall(SYS_gettid)), replay_cpu_);
  const uint64_t tsc_faults = TracerTsc::faults(), cpuid_faults = TracerTsc::cpuid_faults();
  notify(ReplayStop::kStart, root_rec_);

  EntryScheduler entries([this](SyscallEntry& s) {
    return trace_.next_entry(s.entry_seq, s.tid, s.of);
  });
  entries_ = &entries;
  current_ = &e;
  agent_setup();
  const EntryScheduler::EntryFn enter = [&](const SyscallEntry& s) { return enter_syscall(s, e); };
  while (next_event(e)) {
    events_++;
    seq_ = e.seq;
    notify(ReplayStop::kBeforeEvent, e.tid, 0, &e);
    const SyscallEntry own{e.entry_seq, e.tid, e.seq};
    run_forks_due(e.seq, enter);
    entries.enter_before(e.seq, enter, entry_is_own(e) ? &own : nullptr);
    run_forks_due(e.seq, enter);  // one entered just now (its copy is before e)
    if (e.kind == EventKind::kSyscall) agent_->n_syscalls++;
    dispatch(e);
    if (progress_) progress_->step(events_);
    tsc.rearm();
  }
  tsc_faults_ = TracerTsc::faults() - tsc_faults;
  cpuid_faults_ = TracerTsc::cpuid_faults() - cpuid_faults;
  tsc_trapping_ = TracerTsc::trapping();
  entries_ = nullptr;
  current_ = nullptr;
  if (progress_) progress_->clear();
  notify(ReplayStop::kEnd, 0);
  std::optional<int> root_status = tasks_[root_rec_].exit_status;  // before kill_all
  kill_all();  // the recording ended here; anything still running has no trace left
  if (trace_.cut_short())
    throw Error("the recording was cut short after event " + std::to_string(seq_) +
                " (rp record was killed or ran out of space): replay stopped there");
  return replayed_exit_code(root_status, exit_code);
}

std::string why_not_replayable(TraceReader& trace) {
  if (trace.meta_or("replayable", "1") == "0")
    return trace.path() + " was captured without replay support (rp record --name, or -p by "
           "an older rp): it holds no state to start from";
  std::string arch = trace.meta_or("arch", "?");
  if (arch != kArchName) return "trace was recorded on " + arch + ", this machine is " + kArchName;
  return "";
}

// x86_64: rdtsc that did not trap while recording, where rp did not patch
// it either (rp record -p), was not recorded: maybe why a replay diverged,
// said with the divergence (rp info says it too). Patched reads replay on
// any machine (choose_rdtsc_replay); what the patching leaves out (code
// generated at run time) is rarely the cause and not appended to every
// divergence.
std::string untrapped_rdtsc_hint([[maybe_unused]] TraceReader& trace) {
#if defined(__x86_64__)
  if (trace.meta_or("rdtsc_patched", "0") != "1" && trace.meta_or("rdtsc_trapped", "1") == "0")
    return " (rdtsc did not trap on the recording machine: the program's rdtsc reads were not "
           "recorded)";
#endif
  return "";
}

int replay_main(const ReplayOptions& opts) {
  TraceReader trace(opts.trace, /*validate=*/true, /*allow_cut=*/true);
  if (std::string why = why_not_replayable(trace); !why.empty()) throw Error(why);
  Replayer r(trace, opts.quiet);
  Progress progress("replay", static_cast<uint64_t>(trace.count("events")));
  r.set_progress(&progress);
  try {
    return r.run();
  } catch (const Divergence& d) {
    throw Divergence(d.what() + untrapped_rdtsc_hint(trace));
  }
}

// ---- lookup and failures ----

void Replayer::diverge(const Event& e, const std::string& why) {
  throw Divergence("replay diverged at event " + std::to_string(e.seq) + " (tid " +
                   std::to_string(e.tid) + "): " + why);
}

void Replayer::fail(const Task& t, const std::string& why) {
  throw Divergence("replay diverged at event " + std::to_string(seq_) + " (tid " +
                   std::to_string(t.rec) + "): " + why);
}

Replayer::Task& Replayer::task(pid_t rec, const Event& e) {
  auto it = tasks_.find(rec);
  // Its end may already be observed: a group exit reaps every thread of the
  // process when the leader's end comes, and a kernel backend may order a
  // killed thread's unfinished syscall after that.
  bool gone_ok = e.kind == EventKind::kTaskExit ||
                 (e.kind == EventKind::kSyscall && e.extra == kNoReturn);
  if (it == tasks_.end() || (it->second.state == State::kGone && !gone_ok))
    diverge(e, "the trace names thread " + std::to_string(rec) + ", which does not exist");
  return it->second;
}

// ---- checked ptrace ----
// rp holds the thread in a ptrace stop for each of these: a failure means
// the thread is not where the replay believes, which it reports.

void Replayer::request(Task& t, int req, void* addr, void* data) {
  if (ptrace(static_cast<__ptrace_request>(req), t.real, addr, data) == -1)
    fail(t, std::string(request_name(req)) + " failed: " + strerror(errno));
}

// Resuming is the exception: ESRCH is expected when a group exit (another
// thread's exit_group or a fatal signal) killed the thread in its stop. It
// then runs to its end by itself, and the next wait reports that end to the
// caller, which judges it against the trace.
void Replayer::resume_request(Task& t, int req, int sig) {
  long data = sig;
  if (ptrace(static_cast<__ptrace_request>(req), t.real, nullptr, data) == -1 && errno != ESRCH)
    fail(t, std::string(request_name(req)) + " failed: " + strerror(errno));
}

Regs Replayer::get_regs(Task& t) {
  Regs r;
  if (!r.read(t.real)) fail(t, std::string("cannot read the registers: ") + strerror(errno));
  return r;
}

void Replayer::set_regs(Task& t, const Regs& r) {
  if (!r.write(t.real)) fail(t, std::string("cannot set the registers: ") + strerror(errno));
}

// At a syscall stop: entry (the call and its arguments are in t.nr, t.args)
// or exit.
bool Replayer::at_syscall_entry(Task& t) {
  __ptrace_syscall_info info{};
  if (ptrace(PTRACE_GET_SYSCALL_INFO, t.real, sizeof info, &info) <= 0)
    fail(t, std::string("PTRACE_GET_SYSCALL_INFO failed: ") + strerror(errno));
  if (info.op != PTRACE_SYSCALL_INFO_ENTRY) return false;
  t.nr = static_cast<int64_t>(info.entry.nr);
  for (int i = 0; i < 6; i++) t.args[i] = info.entry.args[i];
  return true;
}

// ESRCH, as for resuming: the thread has already ended and its wait says so.
void Replayer::send_signal(Task& t, int sig) {
  if (syscall(SYS_tgkill, t.real_tgid, t.real, sig) != 0 && errno != ESRCH)
    fail(t, "cannot send " + render_signal(sig) + ": " + strerror(errno));
}

// ---- debugger hooks ----

void Replayer::cont(Task& t, int sig) {
  t.ran_seq = seq_;
  resume_request(t, t.step ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU, sig);
}

bool Replayer::debug_trap(Task& t, int status) {
  if (!control_ || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP || stop_event(status))
    return false;
  return control_->on_stop(*this, ReplayStop{ReplayStop::kTrap, t.rec});
}

void Replayer::notify(ReplayStop::Kind kind, pid_t tid, int64_t value, const Event* e) {
  if (control_) control_->on_stop(*this, ReplayStop{kind, tid, value, e});
}

std::vector<DebugTask> Replayer::debug_tasks() const {
  std::vector<DebugTask> out;
  for (const auto& [rec, t] : tasks_) {
    if (t.state == State::kGone) continue;
    out.push_back(DebugTask{rec, t.real, t.real_tgid, t.state != State::kInSyscall,
                            t.state == State::kHeld, t.ran_seq});
  }
  return out;
}

void Replayer::set_stepping(pid_t rec_tid, bool on) {
  auto it = tasks_.find(rec_tid);
  if (it != tasks_.end()) it->second.step = on;
}

}  // namespace rp
