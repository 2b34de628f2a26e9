#include "entry_scheduler.h"

#include <utility>

namespace rp {

EntryScheduler::EntryScheduler(Source next) : next_(std::move(next)) {
  has_pending_ = next_(pending_);
}

void EntryScheduler::enter_before(uint64_t seq, const EntryFn& enter, const SyscallEntry* own) {
  for (auto it = deferred_.begin(); it != deferred_.end();)
    it = enter(*it) ? deferred_.erase(it) : std::next(it);
  while (has_pending_ && pending_.entry_seq < seq) {
    if (!enter(pending_)) deferred_.push_back(pending_);
    has_pending_ = next_(pending_);
  }
  if (own && !enter(*own)) deferred_.push_back(*own);
}

}  // namespace rp
