// Filling replay's private root from a trace's `files` rows (private_root.h)
// and the path/mode rules behind it (trace_check.h). The root here is a plain
// temporary directory with an "outside" sibling: nothing may appear there
// whatever the rows say, even when the root already holds symlinks (a raced
// or hostile root).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "private_root.h"
#include "kernel_copy.h"
#include "trace_check.h"

namespace fs = std::filesystem;

namespace rp {
namespace {

class PrivateRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rp-private-root-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/root";
    outside_ = base_ + "/outside";
    fs::create_directory(root_);
    fs::create_directory(outside_);
    fd_ = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    close(fd_);
    fs::remove_all(base_);
  }
  int fill(const std::vector<ExecFile>& files, const std::string& cwd = "",
           const std::string& exe = "") {
    return fill_private_root(fd_, files, cwd, exe);
  }
  bool outside_empty() const { return fs::is_empty(outside_); }
  static std::string read(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  static unsigned mode_of(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  }

  std::string base_, root_, outside_;
  int fd_ = -1;
};

TEST_F(PrivateRoot, CreatesFilesAndDirectoriesWithOwnerOnlyModes) {
  ASSERT_EQ(fill({{"/usr/bin/prog", "ELF bytes", 0755}, {"/lib/ld.so", "ld", 0644}}, "/home/u",
                 "/usr/x/../bin/prog"),
            0);
  EXPECT_EQ(read(root_ + "/usr/bin/prog"), "ELF bytes");
  EXPECT_EQ(read(root_ + "/lib/ld.so"), "ld");
  EXPECT_EQ(mode_of(root_ + "/usr/bin/prog"), 0500u);
  EXPECT_EQ(mode_of(root_ + "/lib/ld.so"), 0400u);
  EXPECT_TRUE(fs::is_directory(root_ + "/home/u"));
  // The kernel walks the exe path as given: /usr/x must exist for "x/..".
  EXPECT_TRUE(fs::is_directory(root_ + "/usr/x"));
}

TEST_F(PrivateRoot, SetuidAndWorldWritableBitsNeverReachTheRoot) {
  ASSERT_EQ(fill({{"/a", "x", 06777}}), 0);
  EXPECT_EQ(mode_of(root_ + "/a"), 0500u);
}

TEST_F(PrivateRoot, RefusesPathsThatAreNotCleanAndAbsolute) {
  for (const char* p : {"/../outside/x", "/a/../../outside/x", "../outside/x", "x", "//x",
                        "/a/./b", "/a/", "/", ""}) {
    EXPECT_EQ(fill({{p, "x", 0755}}), EINVAL) << p;
  }
  EXPECT_EQ(fill({}, "/../outside/cwd"), EINVAL);
  EXPECT_TRUE(outside_empty());
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(PrivateRoot, RefusesASymlinkedDirectoryComponent) {
  fs::create_directory_symlink(outside_, root_ + "/lib");
  EXPECT_EQ(fill({{"/lib/evil", "x", 0755}}), ELOOP);
  fs::create_directory_symlink("../outside", root_ + "/rel");
  EXPECT_EQ(fill({{"/rel/evil", "x", 0755}}), ELOOP);
  EXPECT_EQ(fill({}, "/lib/sub"), ELOOP);
  EXPECT_TRUE(outside_empty());
}

TEST_F(PrivateRoot, NeverFollowsOrReplacesAnExistingLastComponent) {
  fs::create_symlink(outside_ + "/target", root_ + "/prog");
  EXPECT_EQ(fill({{"/prog", "x", 0755}}), EEXIST);
  EXPECT_FALSE(fs::exists(outside_ + "/target"));
  EXPECT_EQ(fill({{"/a", "1", 0755}, {"/a", "2", 0755}}), EEXIST);  // stored twice
  EXPECT_EQ(read(root_ + "/a"), "1");
}

TEST_F(PrivateRoot, AFileIsNotADirectory) {
  EXPECT_EQ(fill({{"/a", "x", 0755}, {"/a/b", "y", 0755}}), ENOTDIR);
  EXPECT_TRUE(outside_empty());
}

TEST(TraceCheck, PathRules) {
  EXPECT_EQ(path_problem("/usr/lib/x.so"), "");
  EXPECT_EQ(path_problem("/"), "");
  EXPECT_NE(path_problem("/a/../b"), "");
  EXPECT_NE(path_problem("/a/.."), "");
  EXPECT_NE(path_problem("a/b"), "");
  EXPECT_NE(path_problem("/a//b"), "");
  EXPECT_NE(path_problem("/a/b/"), "");
  EXPECT_NE(path_problem(std::string("/a\0b", 4)), "");
  EXPECT_NE(path_problem("/" + std::string(kMaxPathLen, 'a')), "");
}

TEST(TraceCheck, FileModes) {
  EXPECT_EQ(file_problem({"/p", 1, 0755}), "");
  EXPECT_EQ(file_problem({"/p", 1, 0400}), "");
  for (int64_t m : {int64_t{04755}, int64_t{02755}, int64_t{01755}, int64_t{0777},
                    int64_t{0775}, int64_t{0757}, int64_t{-1}, int64_t{1} << 40})
    EXPECT_NE(file_problem({"/p", 1, m}), "") << std::oct << m;
  EXPECT_NE(file_problem({"/", 1, 0755}), "");
  EXPECT_NE(file_problem({"/p", 0, 0755}), "");
}

TEST(TraceCheck, MemoryRanges) {
  EXPECT_EQ(mem_problem(0x7fff0000, 4096), "");
  EXPECT_NE(mem_problem(0x1000, -1), "");
  EXPECT_NE(mem_problem(0x1000, static_cast<int64_t>(kMaxBytes) + 1), "");
  EXPECT_NE(mem_problem(UINT64_MAX - 10, 100), "");  // wraps around
  EXPECT_NE(mem_problem(0xffff800000000000ull, 8), "");  // kernel address
}

// The bytes a kernel-copy call sent to the terminal (kernel_copy.h) are
// untrusted like any: only on such a call, exactly `ret` of them.
TEST(TraceCheck, CopiedBytes) {
  Event e;
  e.seq = 5;
  e.tid = 100;
  e.nr = SYS_sendfile;
  e.ret = 3;
  e.extra = std::string(kCopiedPrefix) + "abc";
  EXPECT_EQ(event_problem(e), "");
  e.extra += "d";
  EXPECT_NE(event_problem(e), "");
  e.extra = std::string(kCopiedPrefix);
  e.ret = 0;
  EXPECT_NE(event_problem(e), "");
  e.nr = SYS_write;
  e.ret = 3;
  e.extra = std::string(kCopiedPrefix) + "abc";
  EXPECT_NE(event_problem(e), "");
}

}  // namespace
}  // namespace rp
