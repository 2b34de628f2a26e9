// The CPU bound of replay's copy of a thread (replay/point_copy_bound.h):
// the recording's time from the switch to the thread's next stop, scaled,
// within [kCopyMinCpuSeconds, the default].
#include "point_copy_bound.h"

#include <gtest/gtest.h>

namespace rp {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(PointCopyBound, DefaultWithoutBothTimes) {
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, std::nullopt, 5 * kMs), 2);
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, 5 * kMs, std::nullopt), 2);
}

TEST(PointCopyBound, ScalesTheRecordedTime) {
  // A thread back at a syscall 13 ms after it was switched out: a copy
  // spinning on another thread's write stops after 16 * 13 ms, not 2 s.
  EXPECT_NEAR(copy_cpu_bound(2, 100 * kMs, 113 * kMs), 0.208, 1e-9);
  EXPECT_NEAR(copy_cpu_bound(0.25, 100 * kMs, 110 * kMs), 0.16, 1e-9);
}

TEST(PointCopyBound, NeverBelowTheMinimumNorAboveTheDefault) {
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, 100 * kMs, 100 * kMs + 1000), kCopyMinCpuSeconds);
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, 0, 10'000 * kMs), 2);
  EXPECT_DOUBLE_EQ(copy_cpu_bound(0.25, 0, 1'000 * kMs), 0.25);
}

TEST(PointCopyBound, TimesOutOfOrderLeaveTheDefault) {
  // A trace's times are untrusted: a stop before the switch says nothing.
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, 200 * kMs, 100 * kMs), 2);
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, INT64_MAX, INT64_MIN), 2);
  EXPECT_DOUBLE_EQ(copy_cpu_bound(2, INT64_MIN + 1, INT64_MAX), 2);
}

}  // namespace
}  // namespace rp
