// Replay restores file pages after madvise(MADV_DONTNEED) only where the
// recording had a file mapping: the ranges must follow munmap and remapping.
#include <gtest/gtest.h>

#include <unistd.h>

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

TEST(FileMaps, MremapMovesAndGrowsTheLastRange) {
  FileMaps f;
  f.on_file_mmap(0x10000, 0x1000, true, 4, /*file=*/9, /*file_off=*/0x2000);
  f.on_mremap(0x10000, 0x1000, 0x3000, 0x50000);
  EXPECT_TRUE(f.overlapping(0x10000, 0x1000).empty());
  auto r = f.overlapping(0x50000, 0x3000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].end, 0x53000u);
  EXPECT_EQ(r[0].map_start, 0x50000u);
  EXPECT_EQ(r[0].rec_addr, 0x10000u);  // the recorded bytes are still found there
  EXPECT_EQ(r[0].file, 9u);
}

// A write to the file at an offset shows in its shared ranges only, at the
// address that offset is mapped to (this process's own memory here).
TEST(FileMaps, AWriteToTheFileShowsInItsSharedRanges) {
  static char shared_page[0x3000], other[0x1000];
  auto at = [](const char* p) { return reinterpret_cast<uint64_t>(p); };
  FileMaps f;
  // shared_page maps file 5 from offset 0x1000 on; `other` maps file 6.
  f.on_file_mmap(at(shared_page), sizeof shared_page, true, 1, 5, 0x1000);
  f.on_file_mmap(at(other), sizeof other, true, 2, 6, 0);
  Tracee self(getpid());
  ASSERT_TRUE(f.write_file(self, 5, 0x2000 + 10, "XY"));
  EXPECT_EQ(std::string(shared_page + 0x1000 + 10, 2), "XY");
  ASSERT_TRUE(f.write_file(self, 5, 0, "not mapped"));  // before the mapped part
  EXPECT_EQ(shared_page[0], 0);
  EXPECT_EQ(other[10], 0);
}

TEST(FileMaps, TruncationCutsWindowRangesAndGrowthBringsThemBack) {
  FileMaps f;
  // File 5 mapped from offset 0x1000, 4 pages, in its window; file 6 too.
  f.on_file_mmap(0x40000, 0x4000, true, 1, 5, 0x1000, true);
  f.on_file_mmap(0x50000, 0x1000, false, 2, 6, 0, true);
  auto cut = f.on_truncate(5, 0x2800);  // ends inside the mapping's 2nd page
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_TRUE(cut[0].cut);
  EXPECT_EQ(cut[0].start, 0x42000u);  // the page holding 0x2800 stays
  EXPECT_EQ(cut[0].end, 0x44000u);
  EXPECT_EQ(cut[0].file_off, 0x3000u);
  EXPECT_TRUE(cut[0].shared);
  EXPECT_TRUE(f.on_truncate(5, 0x2900).empty());  // same page: nothing to do
  auto back = f.on_truncate(5, 0x4000);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_FALSE(back[0].cut);
  EXPECT_EQ(back[0].start, 0x42000u);
  EXPECT_EQ(back[0].end, 0x43000u);
  EXPECT_EQ(back[0].file_off, 0x3000u);
  auto all = f.on_truncate(5, 0);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].start, 0x40000u);
  EXPECT_EQ(all[0].end, 0x43000u);
}

TEST(FileMaps, TruncationLeavesRangesOutsideAWindowAndOtherFiles) {
  FileMaps f;
  f.on_file_mmap(0x40000, 0x2000, true, 1, 5, 0, false);  // a private copy: no window
  f.on_file_mmap(0x50000, 0x2000, true, 2, 6, 0, true);
  EXPECT_TRUE(f.on_truncate(5, 0).empty());
  EXPECT_TRUE(f.on_truncate(0, 0).empty());
}

TEST(FileMaps, ACutMovesWithMremap) {
  FileMaps f;
  f.on_file_mmap(0x40000, 0x3000, true, 1, 5, 0, true);
  ASSERT_EQ(f.on_truncate(5, 0x1000).size(), 1u);
  f.on_mremap(0x40000, 0x3000, 0x3000, 0x80000);
  auto back = f.on_truncate(5, 0x3000);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].start, 0x81000u);
  EXPECT_EQ(back[0].end, 0x83000u);
}

}  // namespace
}  // namespace rp
