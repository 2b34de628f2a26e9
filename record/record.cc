#include "record.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "arch.h"
#include "attach.h"
#include "blob.h"
#include "cpu_pin.h"
#include "counter_patch.h"
#include "cpuid_snapshot.h"
#include "cpuid_trap.h"
#include "error.h"
#include "hex.h"
#include "launch.h"
#include "ptrace_recorder.h"
#include "render.h"
#include "ring.h"
#include "kernel_capture.h"
#include "stop_signals.h"
#include "terminal.h"
#include "trace.h"
#include "trace_output.h"
#include "tracer_tsc.h"

extern char** environ;

namespace rp {
namespace {

std::string file_hash(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return to_hex(hash128(ss.str()));
}

std::string iso_now() {
  char b[64];
  time_t now = time(nullptr);
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  return b;
}

// x86_64: how the program's rdtsc reads reach the recorder: by trapping
// (meta rdtsc_trapped), or where they cannot trap by patching the program's
// code (meta rdtsc_patched, insn.h). Where neither, rp info says so and a
// replay's divergence names it as a possible cause.
void note_rdtsc_capture([[maybe_unused]] TraceWriter& w, [[maybe_unused]] const LaunchSpec& spec) {
#if defined(__x86_64__)
  w.set_meta("rdtsc_trapped", int64_t{spec.trap_rdtsc && rdtsc_traps()});
  if (rdtsc_patched()) w.set_meta("rdtsc_patched", int64_t{1});
#endif
}

// x86_64: where rdtsc cannot trap, the program's code is patched (insn.h);
// RP_RDTSC=patch does so on any machine and leaves rdtsc untrapped, as such
// a machine would (what the tests of the patching run on).
void choose_rdtsc_capture([[maybe_unused]] LaunchSpec& spec) {
#if defined(__x86_64__)
  const bool forced = rdtsc_patch_forced();
  set_rdtsc_patched(forced || !rdtsc_traps());
  spec.trap_rdtsc = !forced;
#endif
}

void write_environment_meta(TraceWriter& w, const LaunchSpec& spec) {
  utsname u;
  uname(&u);
  w.set_meta("rp_version", RP_VERSION_STRING);
  w.set_meta("arch", kArchName);
  if (patches_counter_reads()) {
    w.set_meta("counter_reads_mapped", int64_t{1});
    w.set_meta(kCounterCodeNoted, int64_t{1});
  }
  w.set_meta("host", u.nodename);
  w.set_meta("kernel", std::string(u.sysname) + " " + u.release + " " + u.version);
  w.set_meta("start_time", iso_now());
  w.set_meta("exe_path", spec.exe_path);
  w.set_meta("exe_hash", file_hash(spec.exe_path));
  w.set_meta("cwd", spec.cwd);
  w.set_meta("uid", static_cast<int64_t>(getuid()));
  w.set_meta("gid", static_cast<int64_t>(getgid()));
  w.set_meta("stack_limit", spec.stack_limit_cur);
  w.set_meta("cpuid", cpuid_snapshot());
  note_rdtsc_capture(w, spec);
  w.set_list("argv", spec.argv);
  w.set_list("env", spec.envp);
}

std::string pid_list(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) s += (s.empty() ? "" : ", ") + std::to_string(p);
  return s;
}

// With --end-with-program: once the program (the process rp started) has
// exited, rp kills what it left running (stop_signals.h). True once done.
bool end_with_program(PtraceRecorder& rec, pid_t root, bool quiet) {
  if (rec.records_process(root)) return false;
  if (!quiet)
    std::cerr << "rp: the program exited; rp kills what it left running (pid "
              << pid_list(rec.processes()) << ") and finishes the trace (--end-with-program)\n";
  end_recording_now();
  rec.kill_all_for_end();
  return true;
}

// Once no process rp records is left in the program's process group (those
// left call setsid: a daemon), a stop signal to rp ends the recording, and
// the terminal, if the group had it, is rp's again so that Ctrl-C reaches
// rp. True once said.
bool group_ended(PtraceRecorder& rec, pid_t group, TerminalHandoff& terminal, bool quiet) {
  if (rec.records_in_group(group)) return false;
  program_group_gone();
  terminal.take_back();
  if (quiet) return true;
  const std::vector<pid_t> left = rec.processes();
  const bool one = left.size() == 1;
  std::cerr << "rp: the program's process group has ended, but " << left.size()
            << (one ? " process it started runs" : " processes it started run")
            << " on outside it (pid " << pid_list(left) << "): rp records until "
            << (one ? "it exits" : "they exit") << "; Ctrl-C, or SIGTERM to rp (pid "
            << getpid() << "), kills " << (one ? "it" : "them") << " and finishes the trace\n";
  return true;
}

// What rp does about processes the program leaves running, checked each
// time a recorded thread ends; once.
void watch_for_left_running(PtraceRecorder& rec, pid_t root, pid_t group,
                            TerminalHandoff& terminal, const RecordOptions& opts) {
  rec.set_after_task_gone([&rec, root, group, &terminal, &opts, done = false]() mutable {
    if (done || !rec.recording()) return;
    done = opts.end_with_program ? end_with_program(rec, root, opts.quiet)
                                 : group_ended(rec, group, terminal, opts.quiet);
  });
}

}  // namespace

int record_main(const RecordOptions& given) {
  RecordOptions opts = given;
  if (opts.ring_bytes) {
    opts.backend = ring_backend(opts.backend, !opts.comm.empty());
    ignore_save_requests_until_recording();
  }
  if (opts.attach_pid > 0)  // replayable: from a snapshot
    return record_attach(opts, write_environment_meta);
  if (!opts.comm.empty()) {  // processes by name: kernel capture only
    bool named = !opts.output.empty();
    TraceOutput out(named ? opts.output : pick_output_name(opts.comm), {}, named, opts.share);
    int code = record_observe(out.temp_path(), opts.backend, 0, opts.comm, opts.quiet);
    out.commit();
    return code;
  }
  if (opts.argv.empty()) throw Error("record: no program given (rp record -- PROGRAM ARGS...)");
  // A kernel backend (record/kernel_capture.h) records the syscalls; ptrace
  // then only sees forks, execs, signals and exits.
  std::string backend;
  auto producer = open_backend(opts.backend, /*stall=*/true, "", opts.quiet, &backend);

  LaunchSpec spec;
  spec.exe_path = resolve_program(opts.argv[0]);
  spec.argv = opts.argv;
  for (char** e = environ; *e; e++) spec.envp.emplace_back(*e);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd)) spec.cwd = cwd;
  rlimit rl;
  getrlimit(RLIMIT_STACK, &rl);
  spec.stack_limit_cur = rl.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long long>(rl.rlim_cur);
  spec.refuse_enosys = producer != nullptr;
  spec.trap_vsyscalls = true;
  spec.own_process_group = true;
  choose_rdtsc_capture(spec);

  bool named = !opts.output.empty();
  TraceOutput out(named ? opts.output : pick_output_name(opts.argv[0]),
                  exec_file_paths(spec.exe_path), named, opts.share);
  if (!named && !opts.quiet) std::cerr << "rp: recording to " << out.target() << "\n";
  TraceWriter w(out.temp_path());
  write_environment_meta(w, spec);
  warn_of_untrapped_rdtsc(opts.quiet);
  // Where this machine can, cpuid is answered by rp and recorded (cpuid_trap.h).
  const bool trap_cpuid = cpuid_faults();
  w.set_meta("cpuid_trapped", int64_t{trap_cpuid});
  w.set_meta("backend", backend);
  w.checkpoint();  // the metadata survives a recording that is cut short

  // Ctrl-C is for the program: rp stays to finish the trace.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  auto t0 = std::chrono::steady_clock::now();
  pid_t root;
  try {
    root = launch_traced(spec, PtraceRecorder::ptrace_options());
  } catch (...) {
    w.finish();  // and `out` removes it: an existing trace stays as it was
    throw;
  }
  int cpu = -1;
  {
    // One CPU for the whole recording, before the program's first
    // instruction (it is stopped at its exec): threads and children inherit
    // it. A kernel backend records where the scheduler switched threads; the
    // ptrace backend's tracer thread runs there too (PtraceRecorder::loop),
    // since on these VMs a stop that wakes a tracer on another CPU costs ten
    // times what one on the same CPU does (docs/performance.md).
    try {
      cpu = choose_recording_cpu();
      pin_to_cpu(root, cpu);
    } catch (...) {
      kill(root, SIGKILL);
      waitpid(root, nullptr, 0);
      w.finish();
      throw;
    }
    w.set_meta("cpu", static_cast<int64_t>(cpu));
  }
  pid_t group = getpgid(root);  // the program's own (launch.h), which it does not lead
  TerminalHandoff terminal(group);
  PtraceRecorder rec(w);
  rec.set_initial_exe(spec.exe_path);
  rec.set_trap_cpuid(trap_cpuid);
  rec.set_tracer_cpu(cpu);
  std::unique_ptr<Ring> ring;
  if (opts.ring_bytes) {
    ring = std::make_unique<Ring>(w, out.temp_path(), opts.ring_bytes, opts.quiet);
    rec.set_ring(ring.get(), [&] { ring->save_next_to(out.target()); });
  }
  std::unique_ptr<KernelCapture> kc;
  if (producer) {
    producer->trace_tgid(root);  // before its execve returns: that is the first record
    kc = std::make_unique<KernelCapture>(*producer, w);
    // The trace cannot grow (disk full): stop the program, its process group.
    kc->set_on_write_error([group] { kill(-group, SIGKILL); });
    // The program's own sched_setaffinity succeeded (the kernel side stopped
    // it before it returned): every thread goes back on the recording's CPU.
    kc->set_on_repin([&rec, cpu] { repin_threads(rec.tids(), cpu); });
    kc->set_spill_dir(out.dir());
    kc->start();
    rec.set_events_only(kc.get());
  }
  forward_stop_signals(group);
  watch_for_left_running(rec, root, group, terminal, opts);
  int status = rec.run(root);
  program_group_gone();  // its number may be reused; rp finishes the trace
  auto ended = std::chrono::steady_clock::now();
  if (kc) kc->finish();  // the writer thread is done: w is ours again
  int code = exit_code_of(status);
  w.set_meta("exit_status", static_cast<int64_t>(status));
  w.set_meta("exit_code", static_cast<int64_t>(code));
  write_duration_meta(w, t0, ended);
  write_capture_meta(w, rec, kc.get());
  if (ring) ring->finish();
  if (!opts.quiet && !w.refused_calls().empty())
    std::cerr << "rp: warning: rp refused " << w.refused_calls().text()
              << " with ENOSYS while recording: the program took that failure, which it would "
                 "not have untraced (docs/user-guide.md, \"Calls rp refuses\")\n";
  w.finish();
  if (ring && !keep_trace(*parse_save_on(opts.save_on.empty() ? "crash" : opts.save_on), status,
                          false, opts.quiet))
    return code;  // `out` removes the trace
  out.commit();
  return code;
}

void warn_of_untrapped_rdtsc(bool quiet) {
#if defined(__x86_64__)
  if (quiet || rdtsc_traps()) return;
  if (rdtsc_patched())
    std::cerr << "rp: warning: rdtsc does not trap on this machine (PR_SET_TSC is accepted and "
                 "has no effect): rp patches the rdtsc/rdtscp instructions of the program's code "
                 "instead; reads in code generated at run time are not recorded\n";
  else
    std::cerr << "rp: warning: rdtsc does not trap on this machine (PR_SET_TSC is accepted and "
                 "has no effect): the program's rdtsc/rdtscp reads are not recorded, and a replay "
                 "diverges where their values matter\n";
#else
  (void)quiet;
#endif
}

}  // namespace rp
