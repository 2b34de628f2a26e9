// The reader thread replay streams events through (read_ahead.h): it must
// hand over exactly what its source gave, in order, with the source's error
// at the same place, and never hang whoever stops it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include "read_ahead.h"

namespace rp {
namespace {

AheadBytes int_bytes(const int&) { return {sizeof(int), 0}; }
AheadBytes string_bytes(const std::string& s) { return {s.size(), 0}; }
AheadBytes payload_bytes(const std::string& s) { return {s.size(), s.size()}; }

TEST(ReadAhead, HandsOverEveryItemInOrderThenStaysAtTheEnd) {
  std::atomic<int> calls{0};
  ReadAhead<int> r([&calls](int& x) { return (x = calls++) < 5000; }, int_bytes);
  int x = -1;
  for (int want = 0; want < 5000; want++) {
    ASSERT_TRUE(r.next(x));
    ASSERT_EQ(x, want);
  }
  EXPECT_FALSE(r.next(x));
  EXPECT_FALSE(r.next(x));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 5001);  // not asked again once it said there is no more
}

TEST(ReadAhead, ThrowsTheSourcesErrorOnceAfterTheItemsBeforeIt) {
  int next = 0;
  ReadAhead<int> r(
      [&next](int& x) {
        if (next == 3000) throw std::runtime_error("row 3000 is damaged");
        x = next++;
        return true;
      },
      int_bytes);
  int x = -1;
  for (int want = 0; want < 3000; want++) {
    ASSERT_TRUE(r.next(x));
    ASSERT_EQ(x, want);
  }
  try {
    r.next(x);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "row 3000 is damaged");
  }
  EXPECT_FALSE(r.next(x));
}

// Whatever fails while reading an item (here: sizing it) is that item's
// error, not the end of rp.
AheadBytes bytes_or_throw(const int& x) {
  if (x == 2) throw std::runtime_error("cannot size item 2");
  return {sizeof x, 0};
}

TEST(ReadAhead, AFailureWhileQueueingIsTheItemsError) {
  int next = 0;
  ReadAhead<int> r([&next](int& x) { return (x = next++) < 10; }, bytes_or_throw);
  int x = -1;
  ASSERT_TRUE(r.next(x));
  ASSERT_TRUE(r.next(x));
  EXPECT_THROW(r.next(x), std::runtime_error);
  EXPECT_FALSE(r.next(x));
}

// Items larger than the whole bound still pass, one batch at a time, and the
// reader stops reading while that much is waiting.
TEST(ReadAhead, BoundsHowFarItReadsAhead) {
  std::atomic<int> made{0};
  ReadAhead<std::string> r(
      [&made](std::string& s) {
        s.assign(40 << 20, static_cast<char>('a' + made % 26));
        return ++made <= 6;
      },
      string_bytes);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LE(made.load(), 2);  // one queued, one waiting for room
  std::string s;
  for (int i = 0; i < 6; i++) {
    ASSERT_TRUE(r.next(s));
    ASSERT_EQ(s.size(), 40u << 20);
    ASSERT_EQ(s[0], 'a' + i % 26);
  }
  EXPECT_FALSE(r.next(s));
}

// Payloads (a recorded read's bytes) have a bound of their own, far below
// the one on everything held: 3 MiB items stop at 8 MiB, not at 64.
TEST(ReadAhead, BoundsPayloadsBelowTheWholeBound) {
  std::atomic<int> made{0};
  ReadAhead<std::string> r(
      [&made](std::string& s) {
        s.assign(3 << 20, static_cast<char>('a' + made % 26));
        return ++made <= 30;
      },
      payload_bytes);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LE(made.load(), 4);  // 2 queued (6 MiB), the third waiting for room
  std::string s;
  for (int i = 0; i < 30; i++) {
    ASSERT_TRUE(r.next(s));
    ASSERT_EQ(s[0], 'a' + i % 26);
  }
  EXPECT_FALSE(r.next(s));
}

TEST(ReadAhead, StopsAnEndlessSourceThatWaitsForRoom) {
  auto t0 = std::chrono::steady_clock::now();
  {
    ReadAhead<std::string> r(
        [](std::string& s) {
          s.assign(1 << 20, 'x');
          return true;
        },
        string_bytes);
    std::string s;
    ASSERT_TRUE(r.next(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // full by now
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace rp
