// Threads enter syscalls in the recorded entry order and leave them in the
// recorded completion order: a thread that entered a blocking call before
// another thread acted must have run its user code before that act too.
// This decides which recorded entries are due before an event; making an
// entry happen is the replayer's (EntryFn).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace rp {

struct SyscallEntry {
  uint64_t entry_seq = 0;  // position in the global order of entries and events
  int32_t tid = 0;         // recorded thread
  uint64_t of = 0;         // seq of the syscall event it enters
};

class EntryScheduler {
 public:
  // Yields the recorded entries in entry order; false at the end.
  using Source = std::function<bool(SyscallEntry&)>;
  // Makes one entry happen; false if its thread does not exist yet (a new
  // thread may enter its first syscall before its creator's clone returned).
  using EntryFn = std::function<bool(const SyscallEntry&)>;

  explicit EntryScheduler(Source next);
  // Before the event `seq`: first the entries that waited for their thread,
  // then those recorded before `seq`, in order, then `own`, the event's own
  // entry when the source leaves it out (it is right before the event, so
  // after all the others). An entry whose thread does not exist yet waits
  // for a later call.
  void enter_before(uint64_t seq, const EntryFn& enter, const SyscallEntry* own = nullptr);
  size_t waiting() const { return deferred_.size(); }

 private:
  Source next_;
  SyscallEntry pending_;
  bool has_pending_ = false;
  std::vector<SyscallEntry> deferred_;
};

}  // namespace rp
