// The replay's entry order: which recorded syscall entries happen before an
// event, and what happens to an entry whose thread does not exist yet.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "entry_scheduler.h"

namespace rp {
namespace {

EntryScheduler::Source from(std::vector<SyscallEntry> entries) {
  return [entries, i = size_t{0}](SyscallEntry& out) mutable {
    if (i == entries.size()) return false;
    out = entries[i++];
    return true;
  };
}

struct Log {
  std::set<int32_t> threads;         // threads that exist
  std::vector<uint64_t> entered;     // `of` of each entry made, in order
  EntryScheduler::EntryFn fn() {
    return [this](const SyscallEntry& s) {
      if (!threads.count(s.tid)) return false;
      entered.push_back(s.of);
      return true;
    };
  }
};

TEST(EntryScheduler, EntersWhatWasRecordedBeforeTheEvent) {
  EntryScheduler s(from({{1, 10, 5}, {3, 11, 6}, {7, 10, 9}}));
  Log log{{10, 11}, {}};
  s.enter_before(4, log.fn());  // entries 1 and 3 precede event 4, entry 7 does not
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{5, 6}));
  s.enter_before(8, log.fn());
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{5, 6, 9}));
  s.enter_before(100, log.fn());  // nothing left
  EXPECT_EQ(log.entered.size(), 3u);
}

TEST(EntryScheduler, AnEntryAtTheEventsOwnPositionIsNotDue) {
  EntryScheduler s(from({{4, 10, 4}}));
  Log log{{10}, {}};
  s.enter_before(4, log.fn());
  EXPECT_TRUE(log.entered.empty());
  s.enter_before(5, log.fn());
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{4}));
}

TEST(EntryScheduler, ANewThreadsEntryWaitsForTheThreadThenGoesFirst) {
  // Thread 20 (not created yet) enters before thread 10's next entry.
  EntryScheduler s(from({{1, 20, 7}, {2, 10, 8}, {5, 10, 9}}));
  Log log{{10}, {}};
  s.enter_before(3, log.fn());
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{8}));
  EXPECT_EQ(s.waiting(), 1u);
  log.threads.insert(20);  // its creator's clone returned
  s.enter_before(6, log.fn());
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{8, 7, 9}));
  EXPECT_EQ(s.waiting(), 0u);
}

TEST(EntryScheduler, AThreadCreatedByAnEarlierEntryOfTheSameBatchIsEnteredAtOnce) {
  // Entering thread 10's clone creates thread 20 (the replay executes a
  // clone when it is entered): 20's entry right after it must not wait.
  EntryScheduler s(from({{1, 10, 5}, {2, 20, 6}}));
  Log log{{10}, {}};
  auto clone_creates_20 = [&](const SyscallEntry& e) {
    bool ok = log.fn()(e);
    if (ok && e.of == 5) log.threads.insert(20);
    return ok;
  };
  s.enter_before(3, clone_creates_20);
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(s.waiting(), 0u);
}

TEST(EntryScheduler, TheEventsOwnEntryGoesLastAndWaitsLikeTheOthers) {
  // Event 5's own entry (4) is not in the source: it comes with the event.
  EntryScheduler s(from({{1, 10, 9}, {3, 11, 8}}));
  Log log{{10}, {}};
  const SyscallEntry own{4, 12, 5};
  s.enter_before(5, log.fn(), &own);
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{9}));
  EXPECT_EQ(s.waiting(), 2u);  // 11's and 12's threads do not exist yet
  log.threads.insert(11);
  log.threads.insert(12);
  const SyscallEntry own2{6, 10, 7};
  s.enter_before(7, log.fn(), &own2);
  EXPECT_EQ(log.entered, (std::vector<uint64_t>{9, 8, 5, 7}));
  EXPECT_EQ(s.waiting(), 0u);
}

}  // namespace
}  // namespace rp
