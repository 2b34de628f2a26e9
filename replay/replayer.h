// Replays a trace under ptrace: one thread runs at a time, in the recorded
// global order; at each syscall the recorded result is injected (PTRACE_SYSEMU:
// one stop per emulated call) or, for what shapes the tracee itself, the call
// is executed and checked against the recording.
#pragma once
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "arch.h"
#include "error.h"
#include "launch.h"
#include "output_fds.h"
#include "trace.h"

namespace rp {

struct ReplayOptions {
  std::string trace;
  bool quiet = false;  // do not print the program's stdout/stderr writes
};

int replay_main(const ReplayOptions& opts);

// Thrown when the replayed program stops following the trace.
class Divergence : public Error {
 public:
  using Error::Error;
};

class Replayer {
 public:
  Replayer(TraceReader& trace, bool quiet) : trace_(trace), quiet_(quiet) {}
  // Runs the whole trace; returns the exit code the recorded run had.
  int run();
  ~Replayer();

 private:
  enum class State {
    kHeld,         // stopped between events; resume with PTRACE_SYSEMU
    kRunning,      // resumed; its next stop is its next event
    kAtSyscall,    // stopped at syscall entry, the syscall not yet handled
    kInSyscall,    // executing a syscall for real (vfork parent); exit stop pending
    kExiting,      // past exit: only its death is left to observe
    kGone,
  };
  struct Task {
    pid_t rec = 0, real = 0, real_tgid = 0;
    State state = State::kHeld;
    int resume_sig = 0;
    Regs regs;            // at kAtSyscall
    int64_t nr = -1;      // at kAtSyscall
    uint64_t args[6] = {};
    int64_t fixup_ret = 0;  // kInSyscall: recorded result to set at the exit stop
    uint64_t done_seq = 0;  // a clone/execve executed at its entry (its event's seq)
    std::optional<int> exit_status;
  };

  pid_t launch(LaunchSpec& spec);
  Task& task(pid_t rec_tid, const Event& e);
  void resume(Task& t);
  int wait(Task& t);
  void reach_syscall(Task& t, const Event& e);
  void finish_in_syscall(Task& t);
  void check_call(Task& t, const Event& e);
  void emulate(Task& t, const Event& e);
  void execute(Task& t, const Event& e);
  void execute_clone(Task& t, const Event& e);
  void execute_exit(Task& t, const Event& e);
  void deliver_signal(Task& t, const Event& e);
  void observe_exit(Task& t, const Event& e);
  void replay_insn(Task& t, const Event& e);
  void run_to_point(Task& t, const Event& e, const Regs& target);
  void write_recorded_mem(Task& t, const Event& e);
  void echo_output(Task& t, const Event& e);
  int wait_syscall_stop(Task& t, bool want_entry);
  [[noreturn]] void diverge(const Event& e, const std::string& why);

  TraceReader& trace_;
  bool quiet_;
  std::map<pid_t, Task> tasks_;  // by recorded tid
  OutputFds output_fds_;
  uint64_t events_ = 0;
};

}  // namespace rp
