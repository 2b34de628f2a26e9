// `rp record -p PID` and `rp record --name COMM`: a kernel capture with no
// ptrace supervisor. Without it nothing can stop a thread, so the producer
// never parks records: what it cannot copy in kernel context is marked
// RP_SYSF_DATA_MISSING (counted as kernel_data_missing) or lost (counted).
// Signals, exits and the process's state before the attach are not
// recorded: such a trace is for rp dump and rp info, not for replay.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "arch.h"
#include "attach.h"
#include "error.h"
#include "kernel_capture.h"
#include "render.h"
#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

std::vector<std::string> cmdline_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  for (std::string a; std::getline(f, a, '\0');) argv.push_back(a);
  return argv;
}

std::string now_iso() {
  char b[64];
  time_t now = time(nullptr);
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  return b;
}

}  // namespace

int record_observe(const std::string& out, const std::string& backend, pid_t pid,
                   const std::string& comm, bool quiet) {
  if (backend == "ptrace")
    throw Error("record: -p and --name need a kernel backend (bpf or kmod), not ptrace");
  if (pid > 0 && kill(pid, 0) != 0) throw Error("record: no process " + std::to_string(pid));
  unique_fd pidfd;
  if (pid > 0) {
    pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open");
  }
  std::string chosen;
  auto producer = open_backend(backend, /*stall=*/false, comm, quiet, &chosen);
  if (!producer) throw Error("record: -p and --name need the bpf or kmod backend: not available");

  TraceWriter w(out);
  utsname u;
  uname(&u);
  w.set_meta("arch", kArchName);
  w.set_meta("host", u.nodename);
  w.set_meta("kernel", std::string(u.sysname) + " " + u.release + " " + u.version);
  w.set_meta("start_time", now_iso());
  w.set_meta("replayable", int64_t{0});
  if (pid > 0) {
    w.set_meta("mode", "attach");
    w.set_meta("attached_pid", static_cast<int64_t>(pid));
    std::string exe = proc_link(pid, "exe");
    if (!exe.empty()) w.set_meta("exe_path", exe);
    w.set_list("argv", cmdline_of(pid));
    producer->trace_tgid(pid);
  } else {
    w.set_meta("mode", "name");
    w.set_meta("comm", comm);
    w.set_list("argv", {"--name", comm});
  }

  // Until the process exits, or Ctrl-C / SIGTERM.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  ScopedSignalMask block_stop(SIG_BLOCK, stop);
  KernelCapture kc(*producer, w);
  kc.start(/*observe=*/true);
  if (!quiet)
    std::cerr << "rp: recording " << (pid > 0 ? "process " + std::to_string(pid) : "'" + comm + "'")
              << " until " << (pid > 0 ? "it exits or " : "") << "Ctrl-C; the trace cannot be "
              << "replayed (no state from before), only inspected\n";
  auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    timespec ts{0, 100 * 1000 * 1000};
    if (sigtimedwait(&stop, nullptr, &ts) > 0) break;
    if (pidfd) {
      pollfd p{pidfd.get(), POLLIN, 0};
      if (poll(&p, 1, 0) > 0) break;  // it exited
    }
  }
  auto ended = std::chrono::steady_clock::now();
  kc.finish();
  kc.write_meta();
  write_duration_meta(w, t0, ended);
  // Only what the kernel reported: a process still running at Ctrl-C, or
  // --name's many processes, have no exit status (rp info: unknown).
  if (auto st = pid > 0 ? kc.exit_status(static_cast<uint32_t>(pid)) : std::nullopt) {
    w.set_meta("exit_status", *st);
    w.set_meta("exit_code", static_cast<int64_t>(exit_code_of(static_cast<int>(*st))));
  }
  w.finish();
  return 0;
}

}  // namespace rp
