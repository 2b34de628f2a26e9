// Replay restores file pages after madvise(MADV_DONTNEED) only where the
// recording had a file mapping: the ranges must follow munmap and remapping.
#include <gtest/gtest.h>

#include "file_maps.h"

namespace rp {
namespace {

TEST(FileMaps, UnmapInTheMiddleSplitsARange) {
  FileMaps f;
  f.on_file_mmap(0x10000, 0x4000, false, 7);
  f.forget(0x11000, 0x1000);
  auto r = f.overlapping(0x10000, 0x4000);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].start, 0x10000u);
  EXPECT_EQ(r[0].end, 0x11000u);
  EXPECT_EQ(r[1].start, 0x12000u);
  EXPECT_EQ(r[1].end, 0x14000u);
  EXPECT_EQ(r[1].map_start, 0x10000u);  // still offsets into the same recorded bytes
  EXPECT_EQ(r[1].seq, 7u);
}

TEST(FileMaps, OverlapIsClippedAndLengthsRoundToPages) {
  FileMaps f;
  f.on_file_mmap(0x20000, 100, true, 3);  // one page
  auto r = f.overlapping(0x1f000, 0x3000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].start, 0x20000u);
  EXPECT_EQ(r[0].end, 0x21000u);
  EXPECT_TRUE(r[0].shared);
  EXPECT_TRUE(f.overlapping(0x21000, 0x1000).empty());
}

TEST(FileMaps, ANewMappingOverARangeReplacesIt) {
  FileMaps f;
  f.on_file_mmap(0x30000, 0x2000, false, 1);
  f.forget(0x30000, 0x2000);  // an anonymous MAP_FIXED mapping over it
  EXPECT_TRUE(f.overlapping(0x30000, 0x2000).empty());
  f.on_file_mmap(0x30000, 0x1000, false, 9);
  auto r = f.overlapping(0x30000, 0x2000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].seq, 9u);
}

}  // namespace
}  // namespace rp
