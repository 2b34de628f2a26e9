// read_output_regions: the ptrace backend counts the output bytes it could
// not read from the tracee instead of dropping them silently.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "region_read.h"

namespace rp {
namespace {

TEST(RegionLoss, CountsUnreadableAndShortRegions) {
  const long page = sysconf(_SC_PAGESIZE);
  // Two pages; the second is unmapped, and the child (a copy of this address
  // space) waits to be read. We are its parent: process_vm_readv may read it.
  auto* p = static_cast<char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 'x', page);
  ASSERT_EQ(munmap(p + page, page), 0);
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  const uint64_t a = reinterpret_cast<uint64_t>(p);
  std::vector<MemRecord> mem;
  RegionLoss loss;
  Tracee tracee(child);
  read_output_regions(tracee,
                      {Region{a, 16},                // readable
                       Region{a + page, 8},          // unmapped: nothing
                       Region{a + page - 4, 12},     // 4 of 12 bytes
                       Region{a, 0}},                // empty: nothing to lose
                      mem, loss);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  munmap(p, page);
  EXPECT_EQ(loss.unreadable, 1u);
  EXPECT_EQ(loss.short_reads, 1u);
  EXPECT_EQ(loss.total(), 2u);
  ASSERT_EQ(mem.size(), 2u);
  EXPECT_EQ(mem[0].bytes, std::string(16, 'x'));
  EXPECT_EQ(mem[1].bytes, std::string(4, 'x'));
  EXPECT_FALSE(mem[1].input);
}

}  // namespace
}  // namespace rp
