// One thread of the replayed program, as the replayer drives it.
#pragma once
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cstdint>
#include <optional>

#include "arch.h"
#include "tracee.h"

namespace rp {

enum class TaskState {
  kHeld,         // stopped between events; resume with PTRACE_SYSEMU
  kRunning,      // resumed; its next stop is its next event
  kAtSyscall,    // stopped at syscall entry, the syscall not yet handled
  kInSyscall,    // executing a syscall for real (vfork parent); exit stop pending
  kExiting,      // past exit: only its death is left to observe
  kGone,
};

struct ReplayTask {
  ReplayTask() = default;
  ReplayTask(pid_t rec_tid, pid_t real_tid, pid_t tgid)
      : rec(rec_tid), real(real_tid), real_tgid(tgid), mem(real_tid) {}

  pid_t rec = 0, real = 0, real_tgid = 0;  // recorded tid; this run's tid and tgid
  Tracee mem;                              // the thread's memory (tid `real`)
  TaskState state = TaskState::kHeld;
  int resume_sig = 0;
  // Stopped at a fault of its own for its tracer (kSigHeld), not delivered:
  // that signal, until it is resumed.
  int held_fault = 0;
  Regs regs;            // at kAtSyscall
  int64_t nr = -1;      // at kAtSyscall
  uint64_t args[6] = {};
  int64_t fixup_ret = 0;  // kInSyscall: recorded result to set at the exit stop
  bool in_vfork = false;  // kInSyscall in a vfork: its exit stop is the vfork's end
  pid_t vfork_parent = 0;  // recorded tid of the parent a vfork made this task for
  uint64_t done_seq = 0;  // a clone/execve executed at its entry (its event's seq)
  bool cut_short = false;  // that clone never returned to user code (the thread was killed)
  // Exec'd in a recording that trapped cpuid: rp's own call (kMadeByRp) is
  // its next, and its entry is no point to run the thread to.
  bool rp_call_due = false;
  // A group leader whose own thread ended (exit, not exit_group) while
  // others of its group run on: reaped with the group's last thread.
  bool leader_thread_ended = false;
  std::optional<int> exit_status;
  bool step = false;      // a debugger single-steps it
  uint64_t ran_seq = 0;   // the event during whose replay it last ran user code
  // CLOCK_MONOTONIC ns of its last event in the recording (bounds how long
  // it ran user code before its next one: search_point's pass limit).
  std::optional<int64_t> last_event_ns;
  bool entry_unseen = false;  // kAtSyscall reached as a switch point: observer not told yet
  // The mask a signal delivered under a call's temporary mask (sigsuspend,
  // ppoll, ...) saved in the recording's frame: set again after its sigreturn.
  std::optional<uint64_t> mask_after_sigreturn;
};

}  // namespace rp

namespace rp {

// Stop statuses, as waitpid reports them for a ptrace'd thread.
inline int stop_event(int status) { return status >> 16; }
inline bool is_syscall_stop(int status) {
  return WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80);
}

}  // namespace rp
