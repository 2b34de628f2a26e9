// mapping_length_at / attached_segment (common/shm_segment.h) on this
// process: how much the recorder keeps of an attached System V segment, and
// what replay unmaps at shmdt.
#include <gtest/gtest.h>
#include <cstring>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "shm_segment.h"

namespace rp {
namespace {

const uint64_t kPage = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));

TEST(ShmSegment, AnMprotectSplitCountsAsOneMapping) {
  char* p = static_cast<char*>(
      mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(mprotect(p + kPage, kPage, PROT_READ), 0);  // three VMAs now
  EXPECT_EQ(mapping_length_at(getpid(), reinterpret_cast<uint64_t>(p)), 3 * kPage);
  EXPECT_EQ(mapping_length_at(getpid(), reinterpret_cast<uint64_t>(p + kPage)), 2 * kPage);
  EXPECT_EQ(mapping_length_at(getpid(), reinterpret_cast<uint64_t>(p) + 1), 0u);
  munmap(p, 3 * kPage);
}

TEST(ShmSegment, TwoAdjacentAttachesAreTwoSegments) {
  int id = shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600);
  ASSERT_GE(id, 0);
  // Reserve two pages, then attach the segment over each of them.
  char* area = static_cast<char*>(
      mmap(nullptr, 2 * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  char* a = static_cast<char*>(shmat(id, area, SHM_REMAP));
  char* b = static_cast<char*>(shmat(id, area + kPage, SHM_REMAP));
  shmctl(id, IPC_RMID, nullptr);  // gone once detached
  ASSERT_EQ(a, area);
  ASSERT_EQ(b, area + kPage);
  std::strcpy(a, "segment bytes");
  EXPECT_EQ(mapping_length_at(getpid(), reinterpret_cast<uint64_t>(a)), kPage);
  auto seg = attached_segment(getpid(), reinterpret_cast<uint64_t>(b));
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->addr, reinterpret_cast<uint64_t>(b));
  EXPECT_EQ(seg->bytes.size(), kPage);
  EXPECT_STREQ(seg->bytes.c_str(), "segment bytes");  // the same segment
  EXPECT_FALSE(seg->input);
  shmdt(a);
  shmdt(b);
}

}  // namespace
}  // namespace rp
