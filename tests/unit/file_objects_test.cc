// Which opened files replay takes for one file (file_objects.h), through
// OutputFds as replay feeds it: names, renames, links, unlinks, reopens.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "output_fds.h"

namespace rp {
namespace {

constexpr pid_t P = 200;

Event call(int64_t nr, std::vector<uint64_t> args, int64_t ret) {
  Event e;
  e.tid = P;
  e.nr = nr;
  for (size_t i = 0; i < args.size(); i++) e.args[i] = args[i];
  e.ret = ret;
  return e;
}

void add_path(Event& e, uint64_t addr, const std::string& path) {
  e.mem.push_back({addr, path + std::string(1, '\0'), true});
}

Event open_at(const std::string& path, int fd, uint64_t flags = O_RDWR) {
  Event e = call(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, flags}, fd);
  add_path(e, 0x1000, path);
  return e;
}

Event two_names(int64_t nr, const std::string& from, const std::string& to, uint64_t flags = 0) {
  uint64_t cwd = static_cast<uint64_t>(AT_FDCWD);
  Event e = call(nr, {cwd, 0x1000, cwd, 0x2000, flags}, 0);
  add_path(e, 0x1000, from);
  add_path(e, 0x2000, to);
  return e;
}

Event unlink_at(const std::string& path) {
  Event e = call(SYS_unlinkat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, 0}, 0);
  add_path(e, 0x1000, path);
  return e;
}

TEST(FileObjects, OnePathIsOneFileUntilUnlinked) {
  OutputFds o;
  o.apply(open_at("/tmp/a", 3), P);
  o.apply(open_at("/tmp/./a", 4), P);
  EXPECT_NE(o.object_id(P, 3), 0u);
  EXPECT_EQ(o.object_id(P, 3), o.object_id(P, 4));
  o.apply(unlink_at("/tmp/a"), P);
  o.apply(open_at("/tmp/a", 5, O_RDWR | O_CREAT), P);
  EXPECT_NE(o.object_id(P, 5), o.object_id(P, 3));
}

TEST(FileObjects, ExclusiveCreateIsANewFile) {
  OutputFds o;
  o.apply(open_at("/tmp/b", 3), P);
  o.apply(open_at("/tmp/b", 4, O_RDWR | O_CREAT | O_EXCL), P);
  EXPECT_NE(o.object_id(P, 3), o.object_id(P, 4));
}

TEST(FileObjects, RenameAndLinkCarryTheFile) {
  OutputFds o;
  o.apply(open_at("/tmp/c", 3), P);
  o.apply(two_names(SYS_renameat, "/tmp/c", "/tmp/d"), P);
  o.apply(open_at("/tmp/d", 4), P);
  o.apply(open_at("/tmp/c", 5, O_RDWR | O_CREAT), P);
  EXPECT_EQ(o.object_id(P, 3), o.object_id(P, 4));
  EXPECT_NE(o.object_id(P, 3), o.object_id(P, 5));
  o.apply(two_names(SYS_linkat, "/tmp/d", "/tmp/e"), P);
  o.apply(open_at("/tmp/e", 6), P);
  EXPECT_EQ(o.object_id(P, 6), o.object_id(P, 3));
  o.apply(two_names(SYS_renameat2, "/tmp/c", "/tmp/d", RENAME_EXCHANGE), P);
  o.apply(open_at("/tmp/c", 7), P);
  o.apply(open_at("/tmp/d", 8), P);
  EXPECT_EQ(o.object_id(P, 7), o.object_id(P, 3));
  EXPECT_EQ(o.object_id(P, 8), o.object_id(P, 5));
}

TEST(FileObjects, RenamedDirectoryForgetsTheNamesBelowIt) {
  OutputFds o;
  o.apply(open_at("/tmp/dir/f", 3), P);
  o.apply(two_names(SYS_renameat, "/tmp/dir", "/tmp/other"), P);
  o.apply(open_at("/tmp/dir/f", 4, O_RDWR | O_CREAT), P);
  EXPECT_NE(o.object_id(P, 3), o.object_id(P, 4));
}

TEST(FileObjects, ReopenThroughProcAndDupAreTheSameFile) {
  OutputFds o;
  o.apply(call(SYS_memfd_create, {0x1000, 0}, 3), P);
  o.apply(open_at("/proc/self/fd/3", 4), P);
  o.apply(call(SYS_dup, {3}, 5), P);
  EXPECT_NE(o.object_id(P, 3), 0u);
  EXPECT_EQ(o.object_id(P, 4), o.object_id(P, 3));
  EXPECT_EQ(o.object_id(P, 5), o.object_id(P, 3));
  EXPECT_TRUE(o.writable(P, 3));
}

TEST(FileObjects, DevicesAreNoFileButShmIs) {
  OutputFds o;
  o.apply(open_at("/dev/zero", 3), P);
  o.apply(open_at("/dev/shm/sem.x", 4, O_RDONLY), P);
  EXPECT_EQ(o.object_id(P, 3), 0u);
  EXPECT_NE(o.object_id(P, 4), 0u);
  EXPECT_FALSE(o.writable(P, 4));
}

TEST(FileObjects, ClosedNamesAreForgottenUnlessMappedShared) {
  OutputFds o;
  o.apply(open_at("/tmp/kept", 3), P);
  uint64_t kept = o.object_id(P, 3);
  o.pin_object(kept);
  o.apply(call(SYS_close, {3}, 0), P);
  for (int i = 0; i < 500; i++) {  // enough opens for the tables to be swept
    o.apply(open_at("/tmp/n" + std::to_string(i), 4), P);
    o.apply(call(SYS_close, {4}, 0), P);
  }
  EXPECT_LT(o.files_kept(), 200u);
  o.apply(open_at("/tmp/kept", 5), P);
  EXPECT_EQ(o.object_id(P, 5), kept);
}

}  // namespace
}  // namespace rp
