// SpillFile: a kernel capture's backlog through an unnamed file. What goes in
// comes back byte for byte, appended after what the reader holds; the space
// of what was read is given back; the file leaves no name behind.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "error.h"
#include "raw_chunk.h"
#include "spill_file.h"

namespace fs = std::filesystem;

namespace rp {
namespace {

class SpillFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rp-spill-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

std::string pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>(seed + i * 7 + i / 4096);
  return s;
}

TEST_F(SpillFileTest, PiecesComeBackWholeAfterWhatTheReaderHolds) {
  SpillFile f(dir_);
  ASSERT_TRUE(f.ok());
  std::string a = pattern(3 << 20, 'a'), b = pattern(12345, 'b');
  auto at_a = f.append(a.data(), a.size());
  auto at_b = f.append(b.data(), b.size());
  ASSERT_TRUE(at_a && at_b);
  EXPECT_EQ(*at_b, *at_a + a.size());
  RawChunk into;
  into.append("xy", 2);
  f.take(*at_b, b.size(), into);
  f.take(*at_a, a.size(), into);
  EXPECT_EQ(std::string(into.data(), into.size()), "xy" + b + a);
  EXPECT_TRUE(fs::is_empty(dir_)) << "the file has no name";
}

TEST_F(SpillFileTest, WhatWasReadGivesItsSpaceBack) {
  SpillFile f(dir_);
  std::string a = pattern(8 << 20, 'c');
  auto at = f.append(a.data(), a.size());
  ASSERT_TRUE(at);
  RawChunk into;
  f.take(*at, a.size(), into);
  // The descriptor is the file's only handle: find it among ours.
  bool found = false;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    struct stat st;
    if (stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (8 << 20)) continue;
    found = true;
    EXPECT_LT(st.st_blocks * 512, 1 << 20) << "blocks still held after take";
  }
  EXPECT_TRUE(found);
}

TEST_F(SpillFileTest, NoDirectoryNoFile) {
  SpillFile f(dir_ + "/missing");
  EXPECT_FALSE(f.ok());
  EXPECT_FALSE(f.append("x", 1));
}

// The trace beside the file needs the disk's last bytes: a small
// filesystem (a 16 MiB tmpfs, where root may mount one) takes nothing.
TEST_F(SpillFileTest, LeavesTheTraceItsRoom) {
  std::string small = dir_ + "/small";
  ASSERT_TRUE(fs::create_directory(small));
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=16m") != 0) {
    if (getenv("CI") && std::string(getenv("CI")) == "true") FAIL() << "cannot mount a tmpfs";
    GTEST_SKIP() << "cannot mount a tmpfs (not root?)";
  }
  {
    SpillFile f(small);
    EXPECT_TRUE(f.ok());
    EXPECT_FALSE(f.append("x", 1)) << "16 MiB free is less than kRoomForTrace";
  }
  umount(small.c_str());
}

TEST_F(SpillFileTest, ReadingPastTheEndFails) {
  SpillFile f(dir_);
  ASSERT_TRUE(f.append("abc", 3));
  RawChunk into;
  EXPECT_THROW(f.take(0, 10, into), Error);
}

TEST(RawChunk, DropFrontKeepsTheRest) {
  RawChunk c;
  c.append("hello world", 11);
  c.drop_front(6);
  EXPECT_EQ(std::string(c.data(), c.size()), "world");
  c.drop_front(5);
  EXPECT_TRUE(c.empty());
}

}  // namespace
}  // namespace rp
