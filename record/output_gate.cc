// The order of the program's writes to rp's stdout and stderr under the
// ptrace recorder. Replay prints them in the order of their events, which
// this recorder numbers at their exit stops; two processes writing to one
// terminal or file at once wrote in the kernel's order, which the order rp
// handles their exit stops need not be (rr's write_race replayed its lines
// in another order in 4 of 4 runs). So one such write at a time is let into
// the kernel per output file: a second one waits at its entry stop until the
// first one's exit stop, which numbers it (docs/design.md, "Scheduler").
#include <sys/syscall.h>

#include <algorithm>

#include "kernel_copy.h"
#include "ptrace_recorder.h"
#include "rp_abi.h"

namespace rp {
namespace {

// The descriptor a call writes its bytes to, for the calls that can write
// to a file rp echoes in replay; none for the others. The kernel-copy calls'
// destination is the rule the recorders share (rp_abi.h).
std::optional<uint64_t> written_fd(int64_t nr, const uint64_t* args) {
  switch (nr) {
    case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2:
    case SYS_vmsplice:
      return args[0];
  }
  const int out = rp_kernel_copy_out_arg(nr);  // sendfile, splice, tee, copy_file_range
  if (out < 0) return std::nullopt;
  return args[out];
}

}  // namespace

// Which output's gate call t.nr needs (0: stdout's file, 1: stderr's when
// it is another one), -1 if none. Only while there is another task: alone,
// nothing can write between its entry and its exit. The answer for the
// process's last descriptor is kept until it makes a call that is not a
// write (note_fd_change): a loop of writes stats its descriptor once, not
// at every call (+6 us a write here).
int PtraceRecorder::output_gate_of(const Task& t) {
  if (tasks_.size() < 2) return -1;
  auto fd = written_fd(t.nr, t.args);
  if (!fd || *fd > INT32_MAX) return -1;
  auto known = gate_of_fd_.find(t.tgid);
  if (known != gate_of_fd_.end() && known->second.first == *fd) return known->second.second;
  // stdout and stderr on one file: one gate, stdout's.
  auto st = output_stat(t.tid, *fd, outputs_);
  const int gate = !st ? -1 : outputs_.is_file(0, *st) ? 0 : 1;
  gate_of_fd_[t.tgid] = {*fd, gate};
  return gate;
}

// Any call but a write may change what a descriptor of t's process is
// (close, dup2, a received SCM_RIGHTS, exec...): the kept answer goes. A
// sibling process sharing the table (CLONE_FILES without CLONE_THREAD) is
// not followed: a stale answer only orders a write it need not, or leaves
// one unordered as before the gate.
void PtraceRecorder::note_fd_change(const Task& t) {
  if (!written_fd(t.nr, t.args)) gate_of_fd_.erase(t.tgid);
}

// True when t waits at its entry stop for another task's write to the same
// output to end; else t may go on (holding that output's gate, if any).
bool PtraceRecorder::wait_for_output_gate(Task& t) {
  const int g = output_gate_of(t);
  if (g < 0) return false;
  OutputGate& gate = output_gates_[g];
  t.output_gate = g;
  if (gate.writer == 0 || gate.writer == t.tid) {
    gate.writer = t.tid;
    return false;
  }
  gate.waiting.push_back(t.tid);
  return true;
}

// At tid's exit stop (before its event is numbered) or its end: the output
// it wrote to takes the next write waiting for it, which enters the kernel
// now; a task that ends while it waits leaves the queue.
void PtraceRecorder::leave_output_gate(pid_t tid) {
  auto it = tasks_.find(tid);
  if (it == tasks_.end() || it->second.output_gate < 0) return;
  OutputGate& gate = output_gates_[std::exchange(it->second.output_gate, -1)];
  auto& q = gate.waiting;
  q.erase(std::remove(q.begin(), q.end(), tid), q.end());
  if (gate.writer != tid) return;
  gate.writer = 0;
  while (!q.empty()) {
    const pid_t next = q.front();
    q.pop_front();
    if (!tasks_.count(next)) continue;
    gate.writer = next;
    resume(next, 0);
    return;
  }
}

}  // namespace rp
