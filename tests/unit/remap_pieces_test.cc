#include "remap_pieces.h"

#include <sys/mman.h>

#include <gtest/gtest.h>

namespace rp {
namespace {

constexpr uint64_t kPage = 4096;

ProcMap map(uint64_t start, uint64_t end) {
  ProcMap m;
  m.start = start;
  m.end = end;
  return m;
}

// A file's first page mapped again over an earlier mapping of 38 pages, the
// last of them past the file's end: three mappings in replay, one in the
// recording.
std::vector<ProcMap> three() {
  const uint64_t a = 0x7f0000000000;
  return {map(a - kPage, a), map(a, a + kPage), map(a + kPage, a + 37 * kPage),
          map(a + 37 * kPage, a + 38 * kPage), map(a + 40 * kPage, a + 41 * kPage)};
}

TEST(RemapPieces, AMoveTakesEachMappingToItsPlaceAndGrowsTheLast) {
  const uint64_t a = 0x7f0000000000, to = 0x7e0000000000;
  auto steps = remap_in_pieces(three(), a, 38 * kPage, 39 * kPage, MREMAP_MAYMOVE, to);
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 3u);
  const uint64_t fixed = MREMAP_MAYMOVE | MREMAP_FIXED;
  EXPECT_EQ((*steps)[0].from, a);
  EXPECT_EQ((*steps)[0].len, kPage);
  EXPECT_EQ((*steps)[0].new_len, kPage);
  EXPECT_EQ((*steps)[0].flags, fixed);
  EXPECT_EQ((*steps)[0].to, to);
  EXPECT_EQ((*steps)[1].from, a + kPage);
  EXPECT_EQ((*steps)[1].len, 36 * kPage);
  EXPECT_EQ((*steps)[1].to, to + kPage);
  EXPECT_EQ((*steps)[2].from, a + 37 * kPage);
  EXPECT_EQ((*steps)[2].len, kPage);
  EXPECT_EQ((*steps)[2].new_len, 2 * kPage);
  EXPECT_EQ((*steps)[2].to, to + 37 * kPage);
}

TEST(RemapPieces, AGrowInPlaceGrowsOnlyTheLastMapping) {
  const uint64_t a = 0x7f0000000000;
  auto steps = remap_in_pieces(three(), a, 38 * kPage, 40 * kPage, 0, a);
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 1u);
  EXPECT_EQ((*steps)[0].from, a + 37 * kPage);
  EXPECT_EQ((*steps)[0].len, kPage);
  EXPECT_EQ((*steps)[0].new_len, 3 * kPage);
  EXPECT_EQ((*steps)[0].flags, 0u);
}

TEST(RemapPieces, ARangeStartingInsideAMappingTakesOnlyItsPart) {
  const uint64_t a = 0x7f0000000000, to = 0x7e0000000000;
  auto steps = remap_in_pieces(three(), a + 10 * kPage, 28 * kPage, 28 * kPage, MREMAP_MAYMOVE, to);
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].from, a + 10 * kPage);
  EXPECT_EQ((*steps)[0].len, 27 * kPage);
  EXPECT_EQ((*steps)[1].to, to + 27 * kPage);
}

TEST(RemapPieces, CallsTheKernelRefusesForARealReasonAreLeftAlone) {
  const uint64_t a = 0x7f0000000000, to = 0x7e0000000000;
  // A hole in the range (38..40), a shrink, one mapping only, DONTUNMAP, and
  // a move without MREMAP_MAYMOVE.
  EXPECT_FALSE(remap_in_pieces(three(), a, 41 * kPage, 42 * kPage, MREMAP_MAYMOVE, to));
  EXPECT_FALSE(remap_in_pieces(three(), a, 38 * kPage, 20 * kPage, 0, a));
  EXPECT_FALSE(remap_in_pieces(three(), a + kPage, 36 * kPage, 40 * kPage, MREMAP_MAYMOVE, to));
  EXPECT_FALSE(remap_in_pieces(three(), a, 38 * kPage, 38 * kPage,
                               MREMAP_MAYMOVE | MREMAP_DONTUNMAP, to));
  EXPECT_FALSE(remap_in_pieces(three(), a, 38 * kPage, 39 * kPage, 0, to));
}

TEST(RemapPieces, AMoveOntoMemoryReplayHasMappedIsNotMade) {
  const uint64_t a = 0x7f0000000000;
  // The destination's last page is the mapping at a - kPage.
  EXPECT_FALSE(remap_in_pieces(three(), a, 38 * kPage, 39 * kPage, MREMAP_MAYMOVE,
                               a - 39 * kPage));
  EXPECT_TRUE(remap_in_pieces(three(), a, 38 * kPage, 39 * kPage, MREMAP_MAYMOVE,
                              a - 40 * kPage));
}

}  // namespace
}  // namespace rp
