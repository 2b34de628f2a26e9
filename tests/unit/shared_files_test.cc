// The windows of the replay's memfd (shared_files.h), against a real memfd
// held at kPastEofFd by this test process.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "launch.h"
#include "shared_files.h"

namespace rp {
namespace {

class SharedFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_max <= static_cast<rlim_t>(kPastEofFd)) GTEST_SKIP() << "descriptor limit";
    if (r.rlim_cur <= static_cast<rlim_t>(kPastEofFd)) {
      r.rlim_cur = kPastEofFd + 1;
      ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &r), 0);
    }
    int fd = memfd_create("rp-test", 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, static_cast<off_t>(kPastEofFileSize)), 0);
    ASSERT_EQ(dup2(fd, kPastEofFd), kPastEofFd);
    close(fd);
    ASSERT_TRUE(files.attach(getpid()));
  }
  void TearDown() override { close(kPastEofFd); }
  std::string read_at(uint64_t off, size_t n) {
    std::string s(n, '?');
    EXPECT_EQ(pread(kPastEofFd, s.data(), n, static_cast<off_t>(off)), static_cast<ssize_t>(n));
    return s;
  }
  SharedFiles files;
};

TEST_F(SharedFilesTest, EachFileHasItsOwnWindow) {
  auto a = files.place(7, 0, 4096), b = files.place(9, 4096, 4096), a2 = files.place(7, 8192, 10);
  ASSERT_TRUE(a && b && a2);
  EXPECT_EQ(*a2, *a + 8192);
  EXPECT_GE(*b, *a + kWindowSize);
  EXPECT_TRUE(files.has(7));
  EXPECT_FALSE(files.has(8));
  EXPECT_FALSE(files.place(0, 0, 4096));                // a device: no window
  EXPECT_FALSE(files.place(7, kWindowSize - 4096, 8192));  // past the window
}

TEST_F(SharedFilesTest, WritesLandInTheWindowAndTruncateZeroes) {
  auto a = files.place(3, 0, 8192);
  ASSERT_TRUE(a);
  ASSERT_TRUE(files.write(3, 100, "hello"));
  EXPECT_EQ(read_at(*a + 100, 5), "hello");
  ASSERT_TRUE(files.truncate(3, 102));
  EXPECT_EQ(read_at(*a + 100, 5), std::string("he\0\0\0", 5));
  EXPECT_TRUE(files.write(4, 0, "no window, nothing done"));
}

TEST_F(SharedFilesTest, ZeroPunchesOnlyTheRange) {
  auto a = files.place(3, 0, 8192);
  ASSERT_TRUE(a);
  ASSERT_TRUE(files.write(3, 4000, std::string(200, 'x')));
  ASSERT_TRUE(files.zero(3, 4090, 20));
  EXPECT_EQ(read_at(*a + 4088, 24), "xx" + std::string(20, '\0') + "xx");
  EXPECT_TRUE(files.zero(3, kWindowSize + 1, 10));  // past the window: nothing
  EXPECT_TRUE(files.zero(4, 0, 10));               // no window: nothing
}

TEST_F(SharedFilesTest, WindowsStopBelowThePastEofTails) {
  uint64_t placed = 0;
  for (uint64_t object = 1; object < 5000; object++)
    if (auto at = files.place(object, 0, 4096)) {
      EXPECT_LT(*at + kWindowSize, kWindowsEnd + 1);
      placed++;
    }
  EXPECT_EQ(placed, kWindowsEnd / kWindowSize - 1);
}

}  // namespace
}  // namespace rp
