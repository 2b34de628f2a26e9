// common/proc_maps.h: the one parser of /proc/PID/maps.
#include "proc_maps.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

namespace rp {
namespace {

TEST(ProcMaps, ReadsEveryFieldOfAFileMapping) {
  auto m = parse_maps_line(
      "7f3a1c000000-7f3a1c021000 r-xp 0001a000 103:0a 1835029                   "
      "/usr/lib/x86_64-linux-gnu/libc.so.6");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start, 0x7f3a1c000000u);
  EXPECT_EQ(m->end, 0x7f3a1c021000u);
  EXPECT_EQ(m->size(), 0x21000u);
  EXPECT_EQ(m->perms, "r-xp");
  EXPECT_EQ(m->prot(), PROT_READ | PROT_EXEC);
  EXPECT_FALSE(m->shared());
  EXPECT_EQ(m->offset, 0x1a000u);
  EXPECT_EQ(m->dev_major, 0x103u);
  EXPECT_EQ(m->dev_minor, 0xau);
  EXPECT_EQ(m->inode, 1835029u);
  EXPECT_EQ(m->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}

TEST(ProcMaps, KeepsSpacesAndTheDeletedMarkInAPath) {
  auto m = parse_maps_line(
      "55d0e000-55d0f000 rw-s 00000000 00:2a 77        /tmp/a  b/lib x.so (deleted)");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path, "/tmp/a  b/lib x.so (deleted)");
  EXPECT_TRUE(m->shared());
  EXPECT_EQ(m->prot(), PROT_READ | PROT_WRITE);
}

TEST(ProcMaps, AnonymousMemoryHasNoPathWithOrWithoutTheTrailingSpace) {
  for (const char* line : {"7ffd0000-7ffd1000 rw-p 00000000 00:00 0 ",
                           "7ffd0000-7ffd1000 rw-p 00000000 00:00 0"}) {
    auto m = parse_maps_line(line);
    ASSERT_TRUE(m) << line;
    EXPECT_EQ(m->path, "") << line;
    EXPECT_EQ(m->inode, 0u);
  }
}

TEST(ProcMaps, NamesTheKernelsOwnMappings) {
  EXPECT_EQ(parse_maps_line("7ffc1000-7ffc3000 r-xp 00000000 00:00 0      [vdso]")->path, "[vdso]");
  EXPECT_EQ(parse_maps_line("7ffb0000-7ffc0000 rw-p 00000000 00:00 0      [stack]")->path,
            "[stack]");
  EXPECT_EQ(parse_maps_line("7ffb0000-7ffc0000 rw-p 00000000 00:00 0   [anon:my name]")->path,
            "[anon:my name]");
  auto vsyscall = parse_maps_line(
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]");
  ASSERT_TRUE(vsyscall);
  EXPECT_EQ(vsyscall->start, 0xffffffffff600000u);
  EXPECT_EQ(vsyscall->prot(), PROT_EXEC);
  EXPECT_EQ(vsyscall->path, "[vsyscall]");
}

TEST(ProcMaps, RefusesWhatIsNotAMapping) {
  for (const char* line : {"", "garbage", "1000-2000", "1000-2000 r-xp 0 08:01",
                           "1000-2000 rwxq 00000000 08:01 5 /x",  // bad sharing letter
                           "1000-2000 r-x 00000000 08:01 5 /x",   // three letters
                           "2000-1000 r-xp 00000000 08:01 5 /x",  // ends before it starts
                           "1000-2000 r-xp 00000000 08:01 5x /x",  // inode runs into text
                           "1000 2000 r-xp 00000000 08:01 5 /x", "-1000-2000 r-xp 0 08:01 5"})
    EXPECT_FALSE(parse_maps_line(line)) << line;
}

TEST(ProcMaps, ParsesAFileAndNamesItsFirstBadLine) {
  std::optional<std::string> bad;
  auto ms = parse_maps(
      "1000-2000 r-xp 00000000 08:01 5   /bin/x\n"
      "not a mapping\n"
      "\n"
      "3000-4000 rw-p 00000000 00:00 0 \n"
      "also bad\n"
      "5000-6000 rw-p 00000000 00:00 0      [heap]",  // no newline at the end
      &bad);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0].path, "/bin/x");
  EXPECT_EQ(ms[1].start, 0x3000u);
  EXPECT_EQ(ms[2].path, "[heap]");
  EXPECT_EQ(bad, "not a mapping");

  std::optional<std::string> none;
  EXPECT_EQ(parse_maps("1000-2000 r-xp 00000000 08:01 5   /bin/x\n", &none).size(), 1u);
  EXPECT_FALSE(none);
  EXPECT_TRUE(parse_maps("").empty());
}

// The kernel's own lines: a deleted file whose name has spaces, mapped
// shared and read-only here, and this thread's stack.
TEST(ProcMaps, ReadsThisProcesssMaps) {
  const char* dir = getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/rp maps test XXXXXX";
  int fd = mkstemp(path.data());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  void* at = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(at, MAP_FAILED);
  close(fd);
  unlink(path.c_str());
  std::optional<std::string> bad;
  auto ms = read_proc_maps(getpid(), &bad);
  munmap(at, 4096);
  EXPECT_FALSE(bad) << *bad;
  auto addr = reinterpret_cast<uint64_t>(at);
  auto local = reinterpret_cast<uint64_t>(&fd);
  bool saw_file = false, saw_stack = false;
  for (const ProcMap& m : ms) {
    if (m.start == addr) {
      saw_file = true;
      EXPECT_EQ(m.path, path + " (deleted)");
      EXPECT_EQ(m.perms, "r--s");
      EXPECT_NE(m.inode, 0u);
    }
    if (m.start <= local && local < m.end) saw_stack = m.path == "[stack]";
  }
  EXPECT_TRUE(saw_file);
  EXPECT_TRUE(saw_stack);
  EXPECT_TRUE(read_proc_maps(-1).empty());
}

}  // namespace
}  // namespace rp
