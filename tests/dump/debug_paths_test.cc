// rp dump -k's separate debug files: the paths built from a module's build id
// and debuglink (untrusted: they come from the trace) never name anything
// outside the debug directory, and opening them cannot leave it.
#include "inspect/debug_paths.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace rp {
namespace {

std::optional<std::string> by_id(const std::string& bytes) {
  return build_id_debug_path(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

TEST(DebugPaths, BuildIdIsHexUnderItsFirstByte) {
  EXPECT_EQ(by_id("\x93\xac\x61\xec"), ".build-id/93/ac61ec.debug");
  // Bytes that would be '/', '.' and NUL as text are only ever hex digits.
  EXPECT_EQ(by_id(std::string("/../\0x", 6)), ".build-id/2f/2e2e2f0078.debug");
}

TEST(DebugPaths, BuildIdOfAnInsaneLengthIsRefused) {
  EXPECT_EQ(by_id(""), std::nullopt);
  EXPECT_EQ(by_id("\x01"), std::nullopt);
  EXPECT_EQ(by_id(std::string(65, 'a')), std::nullopt);
  EXPECT_NE(by_id(std::string(64, 'a')), std::nullopt);
  EXPECT_EQ(build_id_debug_path(nullptr, 20), std::nullopt);
}

TEST(DebugPaths, DebuglinkGoesUnderTheModulesDirectory) {
  EXPECT_EQ(debuglink_debug_path("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.debug"),
            "usr/lib/x86_64-linux-gnu/libz.so.1.debug");
  EXPECT_EQ(debuglink_debug_path("/prog", "prog.debug"), "prog.debug");
}

TEST(DebugPaths, HostileDebuglinkIsRefused) {
  for (const char* link : {"", ".", "..", "../../etc/passwd", "/etc/passwd", "a/b"})
    EXPECT_EQ(debuglink_debug_path("/usr/lib/libx.so", link), std::nullopt) << link;
  EXPECT_EQ(debuglink_debug_path("/usr/lib/libx.so", std::string(256, 'a')), std::nullopt);
  EXPECT_EQ(debuglink_debug_path("/usr/lib/libx.so", std::string("a\0b", 3)), std::nullopt);
}

TEST(DebugPaths, HostileModulePathIsRefused) {
  for (const char* path : {"", "lib/libx.so", "/usr/../../etc/libx.so", "/usr/lib/./libx.so",
                           "/../libx.so", "[vdso: 12]"})
    EXPECT_EQ(debuglink_debug_path(path, "libx.debug"), std::nullopt) << path;
}

class OpenBeneath : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rp-debug-paths-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    dir_ = top_ + "/debug";
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    ASSERT_EQ(mkdir((dir_ + "/.build-id").c_str(), 0700), 0);
    ASSERT_EQ(mkdir((dir_ + "/.build-id/ab").c_str(), 0700), 0);
    ASSERT_EQ(mkdir((dir_ + "/usr").c_str(), 0700), 0);
    std::ofstream(dir_ + "/usr/libx.debug") << "inside";
    std::ofstream(top_ + "/secret") << "outside";
    fd_ = open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    close(fd_);
    std::filesystem::remove_all(top_);
  }
  int open_rel(const std::string& rel) {
    int fd = open_regular_beneath(fd_, rel, debug_dir_resolve());
    if (fd >= 0) close(fd);
    return fd;
  }
  void link(const std::string& target, const std::string& name) {
    ASSERT_EQ(symlink(target.c_str(), (dir_ + "/" + name).c_str()), 0);
  }
  std::string top_, dir_;
  int fd_ = -1;
};

TEST_F(OpenBeneath, AFileOrALinkInsideTheDirectoryOpens) {
  EXPECT_GE(open_rel("usr/libx.debug"), 0);
  link("../../usr/libx.debug", ".build-id/ab/cd.debug");  // how -dbg packages link
  EXPECT_GE(open_rel(".build-id/ab/cd.debug"), 0);
}

TEST_F(OpenBeneath, NothingOutsideTheDirectoryOpens) {
  EXPECT_LT(open_rel("../secret"), 0);
  EXPECT_LT(open_rel(top_ + "/secret"), 0);  // an absolute path
  link(top_ + "/secret", ".build-id/ab/abs.debug");
  EXPECT_LT(open_rel(".build-id/ab/abs.debug"), 0);
  link("../../../secret", ".build-id/ab/up.debug");
  EXPECT_LT(open_rel(".build-id/ab/up.debug"), 0);
  link("/proc/self/root/etc/passwd", ".build-id/ab/magic.debug");
  EXPECT_LT(open_rel(".build-id/ab/magic.debug"), 0);
}

TEST_F(OpenBeneath, OnlyRegularFilesOpen) {
  ASSERT_EQ(mkfifo((dir_ + "/usr/fifo.debug").c_str(), 0600), 0);
  EXPECT_LT(open_rel("usr/fifo.debug"), 0);  // would block the read
  EXPECT_LT(open_rel("usr"), 0);
}

}  // namespace
}  // namespace rp
