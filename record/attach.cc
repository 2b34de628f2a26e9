// `rp record -p PID`: attach to a running process, take its snapshot, then
// record it like a process rp started (with ptrace, or with a kernel backend
// under the same ptrace supervisor), until it exits or rp gets Ctrl-C (then
// rp detaches and the process runs on, as it was).
#include "attach.h"

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "counter_patch.h"
#include "cow_copy.h"
#include "cpu_pin.h"
#include "cpuid_trap.h"
#include "error.h"
#include "exec_files.h"
#include "inject.h"
#include "kernel_capture.h"
#include "ptrace_recorder.h"
#include "render.h"
#include "sandbox.h"
#include "ring.h"
#include "take_snapshot.h"
#include "tracee.h"
#include "tracee_mem.h"
#include "trace_output.h"
#include "vdso.h"

namespace rp {
namespace {

std::string proc(pid_t pid, const char* what) {
  return "/proc/" + std::to_string(pid) + "/" + what;
}

std::vector<std::string> nul_list(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<std::string> out;
  for (std::string a; std::getline(f, a, '\0');) out.push_back(a);
  return out;
}

// The command line, environment, cwd and stack limit the process has now:
// what replay starts the program with before it turns it into the snapshot.
LaunchSpec spec_of(pid_t pid) {
  LaunchSpec spec;
  spec.exe_path = proc_link(pid, "exe");
  spec.argv = nul_list(proc(pid, "cmdline"));
  spec.envp = nul_list(proc(pid, "environ"));
  spec.cwd = proc_link(pid, "cwd");
  spec.stack_limit_cur = stack_soft_limit(pid);
  if (spec.exe_path.empty() || spec.argv.empty())
    throw Error("record: cannot read process " + std::to_string(pid) +
                "'s program and command line (is it yours?)");
  return spec;
}

std::set<pid_t> threads_of(pid_t pid) {
  std::set<pid_t> out;
  DIR* d = opendir(proc(pid, "task").c_str());
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') out.insert(static_cast<pid_t>(std::stol(e->d_name)));
  closedir(d);
  return out;
}

// PTRACE_SEIZE + PTRACE_INTERRUPT for every thread, again until no new one
// shows up (a thread may clone while rp attaches; clones of seized threads
// are traced by PTRACE_O_TRACECLONE and reported to rp, stopped).
std::vector<pid_t> seize_all(pid_t pid) {
  long options = PtraceRecorder::ptrace_options() & ~PTRACE_O_EXITKILL;  // rp may die, not it
  std::set<pid_t> seized;
  for (;;) {
    bool added = false;
    for (pid_t tid : threads_of(pid)) {
      if (seized.count(tid)) continue;
      if (ptrace(PTRACE_SEIZE, tid, nullptr, options) != 0) {
        if (errno == ESRCH) continue;  // ended meanwhile
        throw Error("record: cannot attach to process " + std::to_string(pid) + ": " +
                    strerror(errno));
      }
      ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
      seized.insert(tid);
      added = true;
    }
    if (!added) break;
  }
  if (seized.empty()) throw Error("record: no process " + std::to_string(pid));
  std::vector<pid_t> stopped;
  for (pid_t tid : seized) {
    // The first stop of each: the interrupt (or a new clone's initial stop).
    int status;
    pid_t r;
    do r = waitpid(tid, &status, __WALL);
    while (r < 0 && errno == EINTR);
    if (r < 0 || !WIFSTOPPED(status)) continue;
    if ((status >> 16) != PTRACE_EVENT_STOP)
      throw Error("record: thread " + std::to_string(tid) + " stopped for " +
                  render_wait_status(status) + " while rp attached; try again");
    // A syscall the interrupt cut short is made again (inject.h).
    Regs regs;
    if (!regs.read(tid) || !restart_normalized(regs).write(tid))
      throw Error("record: cannot set the registers of thread " + std::to_string(tid));
    stopped.push_back(tid);
  }
  return stopped;
}

// PTRACE_GET_RSEQ_CONFIGURATION's answer (linux/ptrace.h, which clashes with
// <sys/ptrace.h>).
struct RseqConfig {
  uint64_t ptr = 0;
  uint32_t size = 0, signature = 0, flags = 0, pad = 0;
};
constexpr int kRseqUnregister = 1;

// What rp changes in the process, and how to undo it at detach.
struct Patched {
  pid_t pid = 0;
  uint64_t vdso = 0;
  std::string vdso_bytes;  // as it was before rp's stubs
  uint64_t insn = 0;       // a syscall instruction in the stubs
  std::map<pid_t, RseqConfig> rseq;  // threads whose rseq area rp unregistered
  std::map<pid_t, uint64_t> personality;  // threads whose personality rp changed: as it was
  bool enosys_filter = false;  // rp's seccomp filter is in (it refuses rseq for good)
  bool cpuid_trapped = false;  // rp made cpuid fault in every thread
};

constexpr uint64_t kAddrNoRandomize = 0x0040000;  // <sys/personality.h>

// A program the process runs after the attach is laid out without
// randomization, as every program rp starts is and as replay runs it: its
// stack (where the kernel's AT_RANDOM bytes lie) is where replay expects it.
void fix_layout(Patched& p, pid_t tid) {
  SyscallInjector inj(tid, p.insn);
  std::string why;
  auto old = inj.call(SYS_personality, {0xffffffff}, &why);
  if (old && *old >= 0 && !(*old & kAddrNoRandomize)) {
    auto r = inj.call(SYS_personality, {static_cast<uint64_t>(*old) | kAddrNoRandomize}, &why);
    if (r && *r >= 0) p.personality[tid] = static_cast<uint64_t>(*old);
  }
  if (!old || !inj.restore(&why))
    throw Error("record: cannot set the personality of thread " + std::to_string(tid) + ": " + why);
}

// A registered rseq area is written by the kernel whenever the thread is
// scheduled (cpu_id, read by sched_getcpu): writes no trace holds. rp
// unregisters it while recording (as it refuses rseq in programs it starts);
// the kernel then marks the area unused and glibc asks getcpu instead.
void unregister_rseq(Patched& p, pid_t tid) {
  RseqConfig c;
  if (ptrace(static_cast<__ptrace_request>(0x420f), tid, sizeof c, &c) <= 0 || !c.ptr) return;
  SyscallInjector inj(tid, p.insn);
  std::string why;
  auto r = inj.call(SYS_rseq, {c.ptr, c.size, kRseqUnregister, c.signature}, &why);
  if (!r || *r != 0 || !inj.restore(&why))
    throw Error("record: cannot unregister the rseq area of thread " + std::to_string(tid) +
                ": " + (r ? strerror(static_cast<int>(-*r)) : why));
  p.rseq[tid] = c;
}

// cpuid faults from now on in every thread (recorded, as after an exec rp
// sees: cpuid_trap.h), where this machine can and no thread makes it fault
// already (the program's own use, which rp would take for its traps).
bool trap_cpuid(const Patched& p, const std::vector<pid_t>& tids) {
  if (!cpuid_faults()) return false;
  std::string why;
  for (pid_t tid : tids) {
    SyscallInjector inj(tid, p.insn);
    auto r = inj.call(kArchPrctlNr, {kArchGetCpuid}, &why);
    if (!inj.restore(&why) || !r || *r != 1) return false;
  }
  for (pid_t tid : tids) {
    SyscallInjector inj(tid, p.insn);
    auto r = inj.call(kArchPrctlNr, {kArchSetCpuid, 0}, &why);
    if (!r || *r != 0 || !inj.restore(&why))
      throw Error("record: cannot make cpuid fault in thread " + std::to_string(tid) + ": " +
                  (r ? strerror(static_cast<int>(-*r)) : why));
  }
  return true;
}

Patched patch_process(pid_t pid, const std::vector<pid_t>& tids) {
  Patched p;
  p.pid = pid;
  std::string why;
  if (auto v = find_vdso(pid, &why)) {
    p.vdso = v->addr;
    p.vdso_bytes = read_mem(pid, v->addr, v->size);
  }
  if (!patch_vdso(pid, &why)) throw Error("record: " + why);
  p.insn = vdso_syscall_insn(pid);
  if (!p.insn) throw Error("record: attaching needs the process's vDSO (booted with vdso=0?)");
  // rdtsc traps from now on (emulated and recorded), as for a program rp starts.
  for (pid_t tid : tids) {
    SyscallInjector inj(tid, p.insn);
    auto r = inj.call(SYS_prctl, {PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0}, &why);
    if (!r || *r != 0 || !inj.restore(&why))
      throw Error("record: cannot make rdtsc trap in thread " + std::to_string(tid) + ": " +
                  (r ? strerror(static_cast<int>(-*r)) : why));
    unregister_rseq(p, tid);
    fix_layout(p, tid);
  }
  p.cpuid_trapped = trap_cpuid(p, tids);
  return p;
}

// Kernel backends: the calls rp refuses (clone3, rseq, io_uring...: the
// ENOSYS policy of common/syscalls.def) answered with ENOSYS by a seccomp
// filter, as in a program rp starts; the kernel side records the answers
// (glibc then makes threads with clone). Installed in every thread (TSYNC)
// through the stopped thread tid. A filter cannot be removed: it stays after
// the detach (docs/user-guide.md). Without CAP_SYS_ADMIN a process needs
// no_new_privs for it, which rp does not impose on a running process.
void refuse_enosys_calls(Patched& p, pid_t tid) {
  const uint64_t insn = p.insn;
  std::vector<sock_filter> filter = enosys_filter(/*emulate_ptrace=*/false);
  sock_fprog prog{static_cast<unsigned short>(filter.size()), nullptr};
  size_t bytes = sizeof prog + filter.size() * sizeof(sock_filter);
  SyscallInjector inj(tid, insn);
  std::string why;
  auto fail = [&](const std::string& what) {
    inj.restore(&why);
    throw Error("record: cannot install rp's seccomp filter in process " + std::to_string(tid) +
                ": " + what);
  };
  auto area = inj.call(SYS_mmap, {0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                  static_cast<uint64_t>(-1), 0}, &why);
  if (!area || *area < 0) fail(area ? strerror(static_cast<int>(-*area)) : why);
  uint64_t at = static_cast<uint64_t>(*area);
  prog.filter = reinterpret_cast<sock_filter*>(at + sizeof prog);
  std::string image(reinterpret_cast<const char*>(&prog), sizeof prog);
  image.append(reinterpret_cast<const char*>(filter.data()), filter.size() * sizeof(sock_filter));
  if (!write_mem(tid, at, image)) fail("cannot write the filter into it");
  auto r = inj.call(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, at}, &why);
  inj.call(SYS_munmap, {at, bytes}, &why);
  if (!r) fail(why);
  if (*r == -EACCES)
    fail("it lacks CAP_SYS_ADMIN and no_new_privs (record it with --backend=ptrace)");
  if (*r > 0) fail("its thread " + std::to_string(*r) + " has another seccomp state");
  if (*r < 0) fail(strerror(static_cast<int>(-*r)));
  p.enosys_filter = true;
  if (!inj.restore(&why)) fail(why);
}

// At detach: rdtsc untrapped in every thread and the vDSO as it was.
void unpatch_process(const Patched& p, const std::vector<pid_t>& stopped) {
  for (pid_t tid : stopped) {
    Regs regs;
    if (!regs.read(tid)) continue;
    __ptrace_syscall_info info{};
    ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info);
    Regs back = info.op == PTRACE_SYSCALL_INFO_ENTRY ? entry_rewound(regs)
                                                      : restart_normalized(regs);
    SyscallInjector inj(tid, p.insn);
    std::string why;
    auto r = inj.call(SYS_prctl, {PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0}, &why);
    if (tid == p.pid) reap_copies(p.pid, inj);  // a snapshot's frozen copy, a zombie now
    if (!r) std::cerr << "rp: warning: thread " << tid << " keeps trapping rdtsc: " << why << "\n";
    if (p.cpuid_trapped && !inj.call(kArchPrctlNr, {kArchSetCpuid, 1}, &why))
      std::cerr << "rp: warning: thread " << tid << " keeps trapping cpuid: " << why << "\n";
    // Threads and children made while recorded inherited rp's change.
    if (!p.personality.empty()) {
      auto pe = p.personality.find(tid);
      inj.call(SYS_personality,
               {(pe != p.personality.end() ? pe : p.personality.begin())->second}, &why);
    }
    // Under rp's seccomp filter rseq stays refused: the process runs on
    // without it, as glibc does on kernels that have none.
    auto it = p.enosys_filter ? p.rseq.end() : p.rseq.find(tid);
    if (it != p.rseq.end()) {
      const RseqConfig& c = it->second;
      auto q = inj.call(SYS_rseq, {c.ptr, c.size, 0, c.signature}, &why);
      if (!q || *q != 0)
        std::cerr << "rp: warning: cannot register the rseq area of thread " << tid
                  << " again: " << (q ? strerror(static_cast<int>(-*q)) : why) << "\n";
    }
    if (!inj.restore(&why, &back))
      std::cerr << "rp: warning: cannot put thread " << tid << " back: " << why << "\n";
    if (!unpatch_counter_reads(tid, &why))  // patched by an exec while recorded
      std::cerr << "rp: warning: " << why << "\n";
  }
  if (p.vdso && !write_mem(p.pid, p.vdso, p.vdso_bytes))
    std::cerr << "rp: warning: cannot restore the vDSO of process " << p.pid << "\n";
}

// Kernel backends: every thread on one CPU while recorded (record/cpu_pin.h),
// each back on its own CPUs at detach.
struct Pinned {
  int cpu = -1;
  std::map<pid_t, cpu_set_t> was;  // the attached threads' affinities
};

Pinned pin_threads(const std::vector<pid_t>& tids) {
  Pinned p;
  for (pid_t tid : tids) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(tid, sizeof set, &set) != 0)
      throw Error("record: cannot read the CPU affinity of thread " + std::to_string(tid) + ": " +
                  strerror(errno));
    p.was[tid] = set;
  }
  p.cpu = choose_recording_cpu();
  for (pid_t tid : tids) pin_to_cpu(tid, p.cpu);
  return p;
}

// Threads and processes that began while recorded get the affinity the
// process had (its first thread's).
void unpin_threads(const Pinned& p, const std::vector<pid_t>& stopped) {
  if (p.cpu < 0 || p.was.empty()) return;
  for (pid_t tid : stopped) {
    auto it = p.was.find(tid);
    const cpu_set_t& set = it != p.was.end() ? it->second : p.was.begin()->second;
    if (sched_setaffinity(tid, sizeof set, &set) != 0)
      std::cerr << "rp: warning: thread " << tid << " stays on CPU " << p.cpu << ": "
                << strerror(errno) << "\n";
  }
}

// An ancestor of rp (the shell that started it) would be stopped while it
// waits for rp: neither would ever go on.
bool is_ancestor(pid_t pid) {
  for (pid_t p = getppid(); p > 1; p = parent_of(p))
    if (p == pid) return true;
  return false;
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void write_duration_meta(TraceWriter& w, std::chrono::steady_clock::time_point t0,
                         std::chrono::steady_clock::time_point ended) {
  auto ms = [](auto d) {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  w.set_meta("duration_ms", ms(ended - t0));
  w.set_meta("finish_ms", ms(std::chrono::steady_clock::now() - ended));
}

void write_capture_meta(TraceWriter& w, const PtraceRecorder& rec, KernelCapture* kc) {
  w.set_meta("unknown_syscalls", static_cast<int64_t>(rec.unknown_syscalls()));
  w.set_meta("unknown_ioctls", static_cast<int64_t>(rec.unknown_ioctls()));
  RegionLoss loss = rec.region_loss();
  std::optional<uint64_t> lost = loss.total();
  if (kc) {
    kc->write_meta();  // its counters replace the ptrace ones above
    loss += kc->tracee_loss();
    auto k = kc->lost();  // its tracee_loss() included
    lost = k ? std::optional<uint64_t>(*lost + *k) : std::nullopt;
  }
  w.set_meta("unreadable_regions", static_cast<int64_t>(loss.unreadable));
  w.set_meta("short_reads", static_cast<int64_t>(loss.short_reads));
  set_lost_meta(w, lost);
}

int record_attach(const RecordOptions& opts,
                  void (*write_environment)(TraceWriter&, const LaunchSpec&)) {
  pid_t pid = opts.attach_pid;
#if !defined(__x86_64__)
  throw Error("record: -p is implemented for x86_64 only");
#endif
  if (pid == getpid()) throw Error("record: rp cannot record itself");
  if (is_ancestor(pid))
    throw Error("record: process " + std::to_string(pid) +
                " started rp (it is rp's parent or its ancestor) and would wait for it forever");
  if (kill(pid, 0) != 0) throw Error("record: no process " + std::to_string(pid));
  LaunchSpec spec = spec_of(pid);
  // Loaded before the process is stopped (the verifier takes a while); it
  // records nothing until the process is added (trace_tgid).
  std::string backend;
  auto producer = open_backend(opts.backend, /*stall=*/true, "", opts.quiet, &backend);
  bool named = !opts.output.empty();
  TraceOutput out(named ? opts.output : pick_output_name(base_name(spec.exe_path)),
                  exec_file_paths(spec.exe_path), named, opts.share);
  if (!named && !opts.quiet) std::cerr << "rp: recording to " << out.target() << "\n";
  TraceWriter w(out.temp_path());
  write_environment(w, spec);
  warn_of_untrapped_rdtsc(opts.quiet);
  w.set_meta("backend", backend);
  w.set_meta("mode", "attach");
  if (patches_counter_reads() && !producer) w.set_meta("counter_reads_mapped", int64_t{1});
  if (patches_counter_reads()) w.set_meta(kCounterCodeNoted, int64_t{1});  // an exec's sweep
  w.set_meta("attached_pid", static_cast<int64_t>(pid));
  w.set_meta("replayable", int64_t{1});
  for (const auto& f : exec_files(pid, spec.exe_path, spec.cwd)) w.add_file(f.path, f.bytes, f.mode);

  // Ctrl-C and SIGTERM end the recording (detach), even during the snapshot.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  ScopedSignalMask block_stop(SIG_BLOCK, stop);

  auto t0 = std::chrono::steady_clock::now();
  std::vector<pid_t> tids = seize_all(pid);
  Patched patched = patch_process(pid, tids);
  w.set_meta("cpuid_trapped", int64_t{patched.cpuid_trapped});
  if (producer) refuse_enosys_calls(patched, tids.front());
#if defined(__aarch64__)
  // Its filter stays after rp detaches, so it cannot stop mmap for rp
  // (common/sandbox.h, kExecMapTrap): say what is then not recorded.
  if (producer && !opts.quiet)
    std::cerr << "rp: note: with a kernel backend, libraries process " << pid
              << " maps after an exec while recorded keep their cntvct_el0 reads unrecorded "
              << "(--backend=ptrace records them)\n";
#endif
  // The contents are read from a frozen copy once the process runs on;
  // not its shared mappings (the copy shares them: read now).
  std::unique_ptr<CowCopy> copy;
  SnapshotStats st =
      take_snapshot(w, pid, tids, patched.insn, output_files_of(pid), "", &copy,
                    out.temp_path() + "-snap0");
  auto pause_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0).count();
  w.set_meta("snapshot_pause_us", static_cast<int64_t>(pause_us));
  write_snapshot_counts(w.db(), st);  // those read now; with the copy's at the end
  Pinned pinned;
  if (producer) {
    pinned = pin_threads(tids);
    w.set_meta("cpu", static_cast<int64_t>(pinned.cpu));
  }
  w.checkpoint();
  if (!opts.quiet)
    std::cerr << "rp: attached to process " << pid << " (" << tids.size() << " thread"
              << (tids.size() == 1 ? "" : "s") << "), snapshot of " << st.mappings
              << " mappings, " << st.bytes_stored / 1024 << " KiB stored"
              << (copy ? " (the rest is read from a frozen copy)" : "") << ", paused "
              << pause_us / 1000 << " ms; Ctrl-C detaches\n";

  PtraceRecorder rec(w);
  rec.set_trap_cpuid(patched.cpuid_trapped);
  std::unique_ptr<Ring> ring;  // before the capture's writer thread shares w
  if (opts.ring_bytes) {
    ring = std::make_unique<Ring>(w, out.temp_path(), opts.ring_bytes, opts.quiet);
    ring->adopt_attach_copy(std::move(copy), st);
    rec.set_ring(ring.get(), [&] { ring->save_next_to(out.target()); });
  }
  std::unique_ptr<KernelCapture> kc;
  if (producer) {
    // Armed while every thread is still stopped: the first record is the
    // first thing a thread does after the snapshot (a syscall the attach
    // interrupted is made again: its sys_enter comes again).
    producer->trace_tgid(pid);
    kc = std::make_unique<KernelCapture>(*producer, w);
    // The trace cannot grow (disk full): detach (as Ctrl-C does), leaving
    // the process running; finish() then reports the error.
    kc->set_on_write_error([] { kill(getpid(), SIGTERM); });
    kc->set_on_repin([&rec, cpu = pinned.cpu] { repin_threads(rec.tids(), cpu); });
    kc->set_spill_dir(out.dir());
    kc->start();
    rec.set_events_only(kc.get());
  }
  int status = rec.run_attached(pid, tids, stop, [&](const std::vector<pid_t>& stopped) {
    if (copy) copy->join();
    if (ring) ring->join_copies();
    unpatch_process(patched, stopped);
    unpin_threads(pinned, stopped);
  });
  auto ended = std::chrono::steady_clock::now();
  if (kc) kc->finish();  // the writer thread is done: w is ours again
  write_duration_meta(w, t0, ended);
  write_capture_meta(w, rec, kc.get());
  int code = 0;
  if (rec.detached()) {
    w.set_meta("detached", int64_t{1});
    if (!opts.quiet) std::cerr << "rp: detached from process " << pid << "; it runs on\n";
    // A seccomp filter cannot be removed: say what stays (docs/user-guide.md).
    if (!opts.quiet && patched.enosys_filter)
      std::cerr << "rp: note: process " << pid << " keeps rp's seccomp filter: clone3, rseq, "
                << "io_uring and the other calls rp refuses still fail with ENOSYS there\n";
  } else {
    code = exit_code_of(status);
    w.set_meta("exit_status", static_cast<int64_t>(status));
    w.set_meta("exit_code", static_cast<int64_t>(code));
  }
  if (ring) ring->finish();
  if (copy) {
    st += copy->import_into(w.db(), "");
    write_snapshot_counts(w.db(), st);
    copy.reset();
  }
  w.finish();
  if (ring && !keep_trace(*parse_save_on(opts.save_on.empty() ? "crash" : opts.save_on), status,
                          rec.detached(), opts.quiet))
    return code;  // `out` removes the trace
  out.commit();
  return code;
}

}  // namespace rp
