#include "stop_signals.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

namespace rp {
namespace {

volatile sig_atomic_t g_program_group = 0;  // 0: none (gone, or not started)
volatile sig_atomic_t g_forwarded = 0;
std::atomic<bool> g_end_requested{false};

// The recorded threads, readable from a signal handler: written by the
// recorder's thread only, each slot 0 or a thread's tid (high half) and its
// process's (low half: kill() takes a process's number, not a thread's). A
// thread goes in the first free slot from its tid's hash on; a full table
// leaves it out, and the recorder's loop kills it at its next stop
// (recording_end_requested).
constexpr unsigned kSlots = 8192;
std::atomic<uint64_t> g_threads[kSlots];
static_assert(std::atomic<uint64_t>::is_always_lock_free, "read from a signal handler");

uint64_t slot_value(pid_t tid, pid_t tgid) {
  return uint64_t{static_cast<uint32_t>(tid)} << 32 | static_cast<uint32_t>(tgid);
}

void kill_recorded_threads() {
  for (auto& slot : g_threads) {
    const auto tgid = static_cast<pid_t>(slot.load(std::memory_order_relaxed) & 0xffffffff);
    if (tgid > 0) kill(tgid, SIGKILL);
  }
}

void end_recording() {
  g_end_requested.store(true);
  kill_recorded_threads();
  const pid_t group = g_program_group;
  if (group > 0) kill(-group, SIGKILL);
}

void on_stop_signal(int sig) {
  const int saved = errno;
  const pid_t group = g_program_group;
  if (group > 0 && !g_forwarded && kill(-group, sig) == 0)
    g_forwarded = 1;
  else
    end_recording();
  errno = saved;
}

}  // namespace

void end_recording_now() { end_recording(); }

void forward_stop_signals(pid_t group) {
  g_program_group = group;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&sa.sa_mask, sig);  // one at a time
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

void program_group_gone() { g_program_group = 0; }

void note_recorded_thread(pid_t tid, pid_t tgid) {
  for (unsigned i = 0, h = static_cast<unsigned>(tid) % kSlots; i < kSlots; i++) {
    auto& slot = g_threads[(h + i) % kSlots];
    if (slot.load(std::memory_order_relaxed) == 0) {
      slot.store(slot_value(tid, tgid), std::memory_order_relaxed);
      return;
    }
  }
}

void forget_recorded_thread(pid_t tid) {
  // Slots are never moved, so tid is somewhere on from its hash (a freed slot
  // before it does not end the search).
  for (unsigned i = 0, h = static_cast<unsigned>(tid) % kSlots; i < kSlots; i++) {
    auto& slot = g_threads[(h + i) % kSlots];
    if (slot.load(std::memory_order_relaxed) >> 32 == static_cast<uint32_t>(tid)) {
      slot.store(0, std::memory_order_relaxed);
      return;
    }
  }
}

bool recording_end_requested() { return g_end_requested.load(std::memory_order_relaxed); }

}  // namespace rp
