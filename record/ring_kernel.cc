// The flight recorder (record/ring.h) under a kernel backend (bpf, kmod):
// events-only mode, where the threads run in parallel and the kernel side
// numbers and records their syscalls (record/kernel_capture.h).
//
// A snapshot there needs a boundary in the kernel's numbering: every thread
// is stopped first (rp's SIGSTOP, taken at a signal-delivery stop, outside
// any syscall), so no number is handed out any more. Every event numbered
// up to then (S = last_seq) was produced before its thread stopped; those
// still in the ring or the writer's queue are drained and written
// (wait_written) before the snapshot, so none is lost or lands after it.
// A call a stop cut short was recorded with its restart code (replay
// restarts it as the kernel would); its thread is rewound to make it again,
// as at an attach. take_snapshot's injected calls are recorded too, with
// numbers after S: written out and deleted (Ring::forget_injected), and the
// snapshot stands after them.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include "inject.h"
#include "kernel_capture.h"
#include "ptrace_recorder.h"
#include "ring.h"

namespace rp {
namespace {

// Whether a SIGSTOP is pending for tid (its own or its process's queue).
bool stop_signal_pending(pid_t tid) {
  std::ifstream st("/proc/" + std::to_string(tid) + "/status");
  const uint64_t bit = uint64_t{1} << (SIGSTOP - 1);
  for (std::string line; std::getline(st, line);)
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0)
      if (std::stoull(line.substr(7), nullptr, 16) & bit) return true;
  return false;
}

}  // namespace

// On the recorder's timer: a due snapshot, a save asked for.
void PtraceRecorder::kernel_ring_tick() {
  bool due;
  {
    auto lk = kernel_->lock_writer();
    // The writer runs behind (at a low priority): what it has not written
    // counts too, or a loaded machine would put every snapshot off.
    due = ring_->due_now(kernel_->unwritten_bytes());
  }
  ring_retry_ = due && !kernel_ring_snapshot();
  if (!ring_retry_) {
    auto lk = kernel_->lock_writer();
    // Half the way left: the trace's pages grow faster than the raw bytes
    // drained, so the next look comes before the snapshot is due.
    ring_wake_fd_ = kernel_->wake_after(ring_->bytes_until_due(kernel_->unwritten_bytes()) / 2);
  }
  if (!save_pending_) return;
  // A saved window ends where every thread was held: all it holds is written.
  struct Release {
    PtraceRecorder& r;
    ~Release() { r.release_held(); }
  } release{*this};
  if (!hold_all()) return;  // tried again at the next tick
  kernel_->wait_written();
  auto lk = kernel_->lock_writer();
  save_pending_ = false;
  // The window's losses as far as known now (the final trace has them at
  // its end): a saved window that lost records says so.
  auto lost = kernel_->lost_so_far();
  if (lost) *lost += loss_.total();
  set_lost_meta(w_, lost);
  save_();
}

bool PtraceRecorder::kernel_ring_snapshot() {
  pid_t tgid = tasks_.empty() ? 0 : tasks_.begin()->second.tgid;
  for (const auto& [tid, o] : tasks_)
    if (o.tgid != tgid) {
      auto lk = kernel_->lock_writer();
      ring_->cannot_snapshot("the program runs a second process");
      return true;  // none to retry
    }
  auto t0 = std::chrono::steady_clock::now();
  struct Release {
    PtraceRecorder& r;
    ~Release() { r.release_held(); }
  } release{*this};
  if (!hold_all()) return false;  // a signal to deliver, a thread being born: soon again
  for (const auto& [tid, o] : tasks_)
    if (o.tgid != tgid) return false;
  kernel_->wait_written();
  uint64_t boundary = kernel_->last_seq();
  std::vector<pid_t> all;
  {
    auto lk = kernel_->lock_writer();
    for (auto& [tid, o] : tasks_) {
      Regs now;
      if (!now.read(tid)) return false;
      Regs n = restart_normalized(now);
      if (n.ip() != now.ip() && !n.write(tid)) return false;
      all.push_back(tid);
    }
    // The frozen copy is a child of a traced process: the kernel side traces
    // it from its fork, so it is forgotten there once held (its death would
    // take a number no event holds).
    ring_->snapshot(tgid, all, boundary, outputs_, "",
                    [this](pid_t copy) { return kernel_->forget_process(copy); });
  }
  kernel_->wait_written();  // the injected calls' events
  uint64_t upto = kernel_->last_seq();
  auto lk = kernel_->lock_writer();
  ring_->forget_injected(upto, std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - t0).count());
  return true;
}

// Every thread to a stop rp holds it in (make_runnable keeps it while
// holding_). False if one cannot be snapshot there: a signal to deliver, a
// new thread's first stop to come, a thread dying or gone. The stops are
// taken in the order they come (waitpid(-1)): a dying process's leader
// reports its end only after every other thread's.
bool PtraceRecorder::hold_all() {
  holding_ = true;
  std::set<pid_t> waiting;
  for (auto& [tid, t] : tasks_) {
    if (t.run != Run::kRunning && t.run != Run::kInKernel) continue;
    t.snapshot_stop = true;  // its SIGSTOP is dropped (on_signal)
    syscall(SYS_tgkill, t.tgid, tid, SIGSTOP);
    waiting.insert(tid);
  }
  bool all_there = true;
  while (!waiting.empty()) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (!tasks_.count(*it)) all_there = false;  // it ended meanwhile
      if (!tasks_.count(*it) || held(*it)) it = waiting.erase(it);
      else ++it;
    }
    if (waiting.empty()) break;
    int status;
    pid_t r = waitpid(-1, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    auto lk = kernel_->lock_writer();
    handle_stop(r, status);
  }
  if (!all_there || tasks_.empty()) return false;  // the process may be dying: next time
  for (const auto& [tid, t] : tasks_)
    if (t.run != Run::kRunnable || t.pending_sig || t.initial_stop_pending) return false;
  return true;
}

// Whether tid is held at rp's SIGSTOP (or at a stop of the producer's that
// the SIGSTOP merged into). Held at any other stop (an event, a signal), it
// is let go on to the SIGSTOP still pending: it runs no user code before.
bool PtraceRecorder::held(pid_t tid) {
  Task& t = tasks_.at(tid);
  if (t.run != Run::kRunnable) return false;
  if (!t.snapshot_stop) return true;
  if (!stop_signal_pending(tid)) {  // merged with the producer's stall SIGSTOP
    t.snapshot_stop = false;
    return true;
  }
  t.run = Run::kRunning;
  resume(tid, t.pending_sig);
  t.pending_sig = 0;
  return false;
}

void PtraceRecorder::release_held() {
  holding_ = false;
  for (auto& [tid, t] : tasks_) {
    if (t.run != Run::kRunnable) continue;
    t.run = Run::kRunning;
    resume(tid, t.pending_sig);
    t.pending_sig = 0;
  }
}

}  // namespace rp
