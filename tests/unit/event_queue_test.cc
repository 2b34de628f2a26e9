// EventQueue: the ptrace backend's events reach the trace from a writer
// thread. Every event queued must be in the trace once finish() returns (in
// batches, past the queue's limit, beside direct writes under lock_writer),
// and a write that fails must surface on the tracer's side, not vanish.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "error.h"
#include "event_queue.h"
#include "trace.h"

namespace fs = std::filesystem;

namespace rp {
namespace {

class EventQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rp-event-queue-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

Event syscall_event(uint64_t seq) {
  Event e;
  e.seq = seq;
  e.entry_seq = seq;
  e.tid = 100 + static_cast<int32_t>(seq % 3);
  e.nr = 0;
  e.args[0] = seq;
  e.ret = static_cast<int64_t>(seq * 7);
  e.t_entry = static_cast<int64_t>(seq * 10);
  e.t_exit = static_cast<int64_t>(seq * 10 + 5);
  e.mem.push_back({0x1000 + seq, "bytes of " + std::to_string(seq), false});
  // Now and then a record past the inline limit: stored as a blob.
  if (seq % 1000 == 0) e.mem.push_back({0x200000, std::string(100000, char('a' + seq % 26)), false});
  return e;
}

TEST_F(EventQueueTest, EveryEventQueuedIsInTheTraceInOrder) {
  const uint64_t n = EventQueue::kMaxEvents + 3 * EventQueue::kBatchEvents + 17;
  std::string p = path("q.db");
  {
    TraceWriter w(p);
    EventQueue q(w);
    q.start();
    for (uint64_t seq = 1; seq <= n; seq++) {
      q.add(syscall_event(seq));
      if (seq % 5000 == 0) {  // a direct write meanwhile, as a fork's add_task is
        auto lk = q.lock_writer();
        w.add_task(TaskInfo{static_cast<int32_t>(seq), 1, 1, seq, std::nullopt});
      }
    }
    q.finish();
    w.finish();
  }
  TraceReader r(p);
  EXPECT_EQ(r.count("events"), static_cast<int64_t>(n));
  EXPECT_EQ(r.tasks().size(), n / 5000);
  Event e;
  uint64_t want = 1;
  while (r.next(e)) {
    Event x = syscall_event(want);
    ASSERT_EQ(e.seq, want);
    EXPECT_EQ(e.tid, x.tid);
    EXPECT_EQ(e.args[0], x.args[0]);
    EXPECT_EQ(e.ret, x.ret);
    EXPECT_EQ(e.t_exit, x.t_exit);
    ASSERT_EQ(e.mem.size(), x.mem.size());
    for (size_t i = 0; i < e.mem.size(); i++) EXPECT_EQ(e.mem[i].bytes, x.mem[i].bytes);
    want++;
  }
  EXPECT_EQ(want, n + 1);
}

TEST_F(EventQueueTest, AFailedWriteIsThrownToTheTracer) {
  TraceWriter w(path("dup.db"));
  EventQueue q(w);
  q.start();
  q.add(syscall_event(1));
  q.add(syscall_event(1));  // the same seq twice: the insert fails in the writer thread
  bool thrown = false;
  try {
    // The error comes at an add() after the writer met it, or at finish().
    for (uint64_t seq = 2; seq < 100000; seq++) q.add(syscall_event(seq));
    q.finish();
  } catch (const std::exception&) {
    thrown = true;
  }
  EXPECT_TRUE(thrown);
}

TEST_F(EventQueueTest, WithoutTheThreadEventsAreWrittenAtOnce) {
  std::string p = path("sync.db");
  TraceWriter w(p);
  EventQueue q(w);
  q.add(syscall_event(1));
  EXPECT_EQ(w.events_written(), 1u);
  q.start();
  q.add(syscall_event(2));
  q.finish();
  EXPECT_EQ(w.events_written(), 2u);
  q.add(syscall_event(3));  // after finish: at once again
  EXPECT_EQ(w.events_written(), 3u);
}

}  // namespace
}  // namespace rp
