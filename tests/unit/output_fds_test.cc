// `rp replay` prints a write only if the recorded fd was rp's stdout/stderr at
// that moment. These tests walk the fd table through the same dup/close/fork
// sequences a shell pipeline performs.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>

#include "output_fds.h"

namespace rp {
namespace {

Event call(pid_t tid, int64_t nr, std::vector<uint64_t> args, int64_t ret) {
  Event e;
  e.tid = tid;
  e.nr = nr;
  for (size_t i = 0; i < args.size(); i++) e.args[i] = args[i];
  e.ret = ret;
  return e;
}

Event pipe_call(pid_t tid, int rd, int wr) {
  Event e = call(tid, SYS_pipe2, {0x1000, 0}, 0);
  int fds[2] = {rd, wr};
  e.mem.push_back({0x1000, std::string(reinterpret_cast<char*>(fds), 8), false});
  return e;
}

constexpr pid_t P = 100;

TEST(OutputFds, StartsWithStdoutAndStderr) {
  OutputFds o;
  EXPECT_EQ(o.target(P, 0), 0);
  EXPECT_EQ(o.target(P, 1), 1);
  EXPECT_EQ(o.target(P, 2), 2);
  EXPECT_EQ(o.target(P, 3), 0);
}

TEST(OutputFds, Dup2CopiesAndClosesFollow) {
  OutputFds o;
  o.apply(call(P, SYS_dup2, {1, 5}, 5), P);
  EXPECT_EQ(o.target(P, 5), 1);
  o.apply(call(P, SYS_close, {1}, 0), P);
  EXPECT_EQ(o.target(P, 1), 0);
  EXPECT_EQ(o.target(P, 5), 1);
  // dup2 of a non-output fd over an output one: no longer output.
  o.apply(call(P, SYS_dup2, {7, 5}, 5), P);
  EXPECT_EQ(o.target(P, 5), 0);
  // stderr onto stdout, as in 2>&1 the other way round.
  o.apply(call(P, SYS_dup3, {2, 1, 0}, 1), P);
  EXPECT_EQ(o.target(P, 1), 2);
}

TEST(OutputFds, DupAndFcntlDupfdUseTheReturnedFd) {
  OutputFds o;
  o.apply(call(P, SYS_dup, {1}, 9), P);
  EXPECT_EQ(o.target(P, 9), 1);
  o.apply(call(P, SYS_fcntl, {2, 0 /* F_DUPFD */, 10}, 10), P);
  EXPECT_EQ(o.target(P, 10), 2);
  o.apply(call(P, SYS_fcntl, {2, 1030 /* F_DUPFD_CLOEXEC */, 10}, 11), P);
  EXPECT_EQ(o.target(P, 11), 2);
  o.apply(call(P, SYS_fcntl, {1, 1 /* F_GETFD */, 0}, 0), P);
  EXPECT_EQ(o.target(P, 0), 0);
}

TEST(OutputFds, FailedCallsChangeNothing) {
  OutputFds o;
  o.apply(call(P, SYS_close, {1}, -EBADF), P);
  EXPECT_EQ(o.target(P, 1), 1);
  o.apply(call(P, SYS_dup2, {7, 1}, -EBADF), P);
  EXPECT_EQ(o.target(P, 1), 1);
}

TEST(OutputFds, NewDescriptorsAreNotOutput) {
  OutputFds o;
  o.apply(call(P, SYS_close, {1}, 0), P);
  o.apply(call(P, SYS_openat, {static_cast<uint64_t>(-100), 0x1000, 0x241, 0644}, 1), P);
  EXPECT_EQ(o.target(P, 1), 0);
  // A stale entry (fd reused after a close rp missed) is cleared by the new fd.
  o.apply(call(P, SYS_dup, {2}, 4), P);
  o.apply(call(P, SYS_socket, {2, 1, 0}, 4), P);
  EXPECT_EQ(o.target(P, 4), 0);
}

TEST(OutputFds, CloseRange) {
  OutputFds o;
  o.apply(call(P, SYS_dup, {1}, 3), P);
  o.apply(call(P, SYS_dup, {1}, 8), P);
  o.apply(call(P, SYS_close_range, {3, ~0u, 0}, 0), P);
  EXPECT_EQ(o.target(P, 1), 1);
  EXPECT_EQ(o.target(P, 2), 2);
  EXPECT_EQ(o.target(P, 3), 0);
  EXPECT_EQ(o.target(P, 8), 0);
}

// sh -c 'a | b': the child that becomes `a` dup2s the pipe's write end onto 1;
// its writes go into the pipe, not to the terminal, while the parent keeps 1.
TEST(OutputFds, PipelineChildWritesIntoThePipe) {
  OutputFds o;
  const pid_t a = 101, b = 102;
  o.apply(pipe_call(P, 3, 4), P);
  EXPECT_EQ(o.target(P, 3), 0);
  EXPECT_EQ(o.target(P, 4), 0);
  o.on_new_task(P, a, false, false);
  o.on_new_task(P, b, false, false);
  o.apply(call(a, SYS_dup2, {4, 1}, 1), a);
  o.apply(call(a, SYS_close, {4}, 0), a);
  o.apply(call(a, SYS_close, {3}, 0), a);
  o.apply(call(b, SYS_dup2, {3, 0}, 0), b);
  EXPECT_EQ(o.target(a, 1), 0);
  EXPECT_EQ(o.target(a, 2), 2);
  EXPECT_EQ(o.target(b, 1), 1);
  EXPECT_EQ(o.target(P, 1), 1);
}

TEST(OutputFds, PipeOverClosedStdoutIsNotOutput) {
  OutputFds o;
  o.apply(call(P, SYS_close, {1}, 0), P);
  o.apply(call(P, SYS_dup, {2}, 1), P);  // 1 is stderr again
  EXPECT_EQ(o.target(P, 1), 2);
  o.apply(call(P, SYS_close, {1}, 0), P);
  o.apply(call(P, SYS_close, {0}, 0), P);
  o.apply(pipe_call(P, 0, 1), P);
  EXPECT_EQ(o.target(P, 1), 0);
}

TEST(OutputFds, SocketpairFdsAreNotOutput) {
  OutputFds o;
  o.apply(call(P, SYS_dup, {1}, 5), P);
  o.apply(call(P, SYS_close, {5}, 0), P);
  o.apply(call(P, SYS_dup, {1}, 6), P);
  Event sp = call(P, SYS_socketpair, {1, 1, 0, 0x2000}, 0);
  int fds[2] = {6, 7};
  sp.mem.push_back({0x2000, std::string(reinterpret_cast<char*>(fds), 8), false});
  o.apply(sp, P);
  EXPECT_EQ(o.target(P, 6), 0);
}

TEST(OutputFds, ForkedChildGetsACopy) {
  OutputFds o;
  const pid_t c = 200;
  o.apply(call(P, SYS_getpid, {}, P), P);
  o.on_new_task(P, c, false, false);
  EXPECT_EQ(o.target(c, 1), 1);
  o.apply(call(c, SYS_close, {2}, 0), c);
  EXPECT_EQ(o.target(c, 2), 0);
  EXPECT_EQ(o.target(P, 2), 2);  // the parent is unaffected
  o.apply(call(P, SYS_close, {1}, 0), P);
  EXPECT_EQ(o.target(c, 1), 1);  // and vice versa
}

TEST(OutputFds, ForkCopiesTheStateAtForkTime) {
  OutputFds o;
  o.apply(call(P, SYS_dup2, {1, 7}, 7), P);
  o.on_new_task(P, 300, false, false);
  EXPECT_EQ(o.target(300, 7), 1);
  o.on_new_task(300, 301, false, false);  // grandchild
  EXPECT_EQ(o.target(301, 7), 1);
}

TEST(OutputFds, ThreadsShareOneTable) {
  OutputFds o;
  const pid_t t = 101;
  o.apply(call(P, SYS_getpid, {}, P), P);
  o.on_new_task(P, t, true, true);
  o.apply(call(t, SYS_close, {1}, 0), t);
  EXPECT_EQ(o.target(P, 1), 0);
  o.apply(call(P, SYS_dup2, {2, 1}, 1), P);
  EXPECT_EQ(o.target(t, 1), 2);
}

TEST(OutputFds, UnshareFilesGivesTheThreadItsOwnTable) {
  OutputFds o;
  const pid_t t = 101;
  o.apply(call(P, SYS_getpid, {}, P), P);
  o.on_new_task(P, t, true, true);
  o.apply(call(t, SYS_unshare, {CLONE_FILES}, 0), t);
  o.apply(call(t, SYS_close, {1}, 0), t);
  EXPECT_EQ(o.target(t, 1), 0);
  EXPECT_EQ(o.target(P, 1), 1);  // the process's table keeps its stdout
  o.apply(call(P, SYS_close, {2}, 0), P);
  EXPECT_EQ(o.target(t, 2), 2);
}

TEST(OutputFds, PidfdGetfdCopiesTheOtherProcesssDescriptor) {
  OutputFds o;
  const pid_t c = 200;
  o.apply(call(P, SYS_getpid, {}, P), P);
  o.on_new_task(P, c, false, false);
  o.apply(call(c, SYS_dup2, {2, 5}, 5), c);  // only the child has it as 5
  o.apply(call(P, SYS_pidfd_open, {c, 0}, 4), P);
  o.apply(call(P, SYS_pidfd_getfd, {4, 5, 0}, 6), P);
  EXPECT_EQ(o.target(P, 6), 2);
  o.apply(call(P, SYS_dup2, {1, 7}, 7), P);
  o.apply(call(P, SYS_pidfd_getfd, {4, 9, 0}, -EBADF), P);  // not open there
  EXPECT_EQ(o.target(P, 7), 1);
  o.apply(call(P, SYS_pidfd_getfd, {3, 1, 0}, 7), P);  // fd 3 is not a pidfd rp knows
  EXPECT_EQ(o.target(P, 7), 0);
}

// recvmsg's recorded msghdr at 0x1000 and control buffer at 0x2000
// carrying `fds` (SCM_RIGHTS); it returned `newfds` there.
Event recvmsg_call(pid_t tid, int sock, const std::vector<int>& newfds) {
  Event e = call(tid, SYS_recvmsg, {static_cast<uint64_t>(sock), 0x1000, 0}, 1);
  std::string ctl(CMSG_SPACE(newfds.size() * sizeof(int)), '\0');
  auto* c = reinterpret_cast<cmsghdr*>(ctl.data());
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(newfds.size() * sizeof(int));
  std::memcpy(CMSG_DATA(c), newfds.data(), newfds.size() * sizeof(int));
  msghdr m{};
  m.msg_control = reinterpret_cast<void*>(0x2000);
  m.msg_controllen = ctl.size();
  e.mem.push_back({0x1000, std::string(reinterpret_cast<char*>(&m), sizeof m), false});
  e.mem.push_back({0x2000, ctl, false});
  return e;
}

TEST(OutputFds, DescriptorsPassedThroughASocketpairKeepTheirFile) {
  OutputFds o;
  Event sp = call(P, SYS_socketpair, {1, 1, 0, 0x3000}, 0);
  int ends[2] = {3, 4};
  sp.mem.push_back({0x3000, std::string(reinterpret_cast<char*>(ends), 8), false});
  o.apply(sp, P);
  o.note_sent(P, 3, {2, 1});
  o.apply(recvmsg_call(P, 4, {7, 8}), P);
  EXPECT_EQ(o.target(P, 7), 2);
  EXPECT_EQ(o.target(P, 8), 1);
  o.apply(recvmsg_call(P, 4, {9}), P);  // nothing sent for it: an unknown file
  EXPECT_EQ(o.target(P, 9), 0);
  o.note_sent(P, 5, {1});  // fd 5 is no socketpair end: nothing to match
  o.apply(recvmsg_call(P, 3, {10}), P);
  EXPECT_EQ(o.target(P, 10), 0);
  o.note_sent(P, 3, {2});  // recvmmsg: its first mmsghdr is recvmsg's msghdr and msg_len
  Event mm = recvmsg_call(P, 4, {11});
  mm.nr = SYS_recvmmsg;
  mm.args[2] = 1;
  mm.mem[0].bytes.mut().resize(sizeof(mmsghdr));
  o.apply(mm, P);
  EXPECT_EQ(o.target(P, 11), 2);
}

TEST(OutputFds, ChildOfATaskWithoutSyscallsCopiesTheInitialTable) {
  OutputFds o;
  o.on_new_task(P, 400, false, false);
  o.apply(call(400, SYS_close, {1}, 0), 400);
  EXPECT_EQ(o.target(400, 1), 0);
  EXPECT_EQ(o.target(P, 1), 1);
}

TEST(OutputFds, SignalsAndExitsAreIgnored) {
  OutputFds o;
  Event e = call(P, SYS_close, {1}, 0);
  e.kind = EventKind::kSignal;
  o.apply(e, P);
  EXPECT_EQ(o.target(P, 1), 1);
}

Event open_call(pid_t tid, const std::string& path, int ret) {
  Event e = call(tid, SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x2000, 1}, ret);
  e.mem.push_back({0x2000, path + std::string(1, '\0'), true});
  return e;
}

TEST(OutputFds, OpeningStdoutByPathIsOutput) {
  OutputFds o;
  o.apply(open_call(P, "/dev/stdout", 3), P);
  o.apply(open_call(P, "/proc/self/fd/1", 4), P);
  o.apply(open_call(P, "/dev/stderr", 5), P);
  o.apply(open_call(P, "/proc/100/fd/2", 6), P);
  o.apply(open_call(P, "/dev/fd/1", 7), P);
  EXPECT_EQ(o.target(P, 3), 1);
  EXPECT_EQ(o.target(P, 4), 1);
  EXPECT_EQ(o.target(P, 5), 2);
  EXPECT_EQ(o.target(P, 6), 2);
  EXPECT_EQ(o.target(P, 7), 1);
}

TEST(OutputFds, OpeningAnotherPathOrAClosedStdoutIsNot) {
  OutputFds o;
  o.apply(open_call(P, "/dev/stdoutx", 3), P);
  o.apply(open_call(P, "/proc/self/fd/1x", 4), P);
  o.apply(open_call(P, "/proc/999/fd/1", 5), P);
  EXPECT_EQ(o.target(P, 3), 0);
  EXPECT_EQ(o.target(P, 4), 0);
  EXPECT_EQ(o.target(P, 5), 0);
  o.apply(call(P, SYS_close, {1}, 0), P);
  o.apply(open_call(P, "/dev/stdout", 6), P);  // fd 1 is now something else
  EXPECT_EQ(o.target(P, 6), 0);
}

// Replay shows a write in the file's shared mappings at the file's offset:
// followed through read/write/lseek, shared by dup, unknown once a call rp
// does not follow used the file or it was opened for appending.
TEST(OutputFds, FollowsFileOffsetsWhileItCan) {
  OutputFds o;
  o.apply(call(P, SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_RDWR}, 3), P);
  EXPECT_EQ(o.position(P, 3), 0u);
  o.apply(call(P, SYS_write, {3, 0x2000, 10}, 7), P);  // a short write moves by 7
  o.apply(call(P, SYS_dup, {3}, 4), P);
  EXPECT_EQ(o.file_id(P, 4), o.file_id(P, 3));
  o.apply(call(P, SYS_read, {4, 0x2000, 10}, 2), P);  // the same open file
  EXPECT_EQ(o.position(P, 3), 9u);
  o.apply(call(P, SYS_pwrite64, {3, 0x2000, 5, 100}, 5), P);
  EXPECT_EQ(o.position(P, 3), 9u);
  o.apply(call(P, SYS_lseek, {3, 4096, SEEK_SET}, 4096), P);
  EXPECT_EQ(o.position(P, 3), 4096u);
  o.apply(call(P, SYS_sendfile, {5, 3, 0, 10}, 10), P);
  EXPECT_EQ(o.position(P, 3), std::nullopt);
  o.apply(call(P, SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_WRONLY | O_APPEND}, 6), P);
  EXPECT_EQ(o.position(P, 6), std::nullopt);
  EXPECT_NE(o.file_id(P, 6), o.file_id(P, 3));
}

// A shell's redirection (`1<>file`) and dd's output are dup2 copies: the
// offset goes on through the copy, and through calls that do not move it.
TEST(OutputFds, Dup2AndCallsThatLeaveTheOffsetKeepIt) {
  OutputFds o;
  o.apply(call(P, SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_RDWR}, 3), P);
  o.apply(call(P, SYS_write, {3, 0x2000, 10}, 10), P);
  o.apply(call(P, SYS_dup2, {3, 5}, 5), P);
  EXPECT_EQ(o.position(P, 5), 10u);
  o.apply(call(P, SYS_fallocate, {5, 0, 0, 8192}, 0), P);
  o.apply(call(P, SYS_flock, {5, LOCK_EX}, 0), P);
  o.apply(call(P, SYS_write, {5, 0x2000, 6}, 6), P);
  EXPECT_EQ(o.position(P, 3), 16u);
  o.apply(call(P, SYS_getdents64, {5, 0x2000, 100}, 0), P);  // any other call: unknown
  EXPECT_EQ(o.position(P, 3), std::nullopt);
}

// Replay writes a write to a process's mem file into that process
// (replay/memory_writes.cc): the file must be tied to the recorded tid its
// path names, through dup and fork; a /proc mem path of another shape is
// known as one but tied to no process (0: a divergence if written).
TEST(OutputFds, TiesProcMemFilesToTheirProcess) {
  OutputFds o;
  o.apply(open_call(P, "/proc/123/mem", 3), P);
  o.apply(open_call(P, "/proc/self/mem", 4), P);
  o.apply(open_call(P, "/proc/thread-self/mem", 5), P);
  o.apply(open_call(P, "/proc/123/task/124/mem", 6), P);
  o.apply(open_call(P, "/proc/self/task/101/mem", 7), P);
  o.apply(open_call(P, "/proc/./123//mem", 8), P);
  o.apply(open_call(P, "/proc/123/maps", 9), P);
  o.apply(open_call(P, "/tmp/mem", 10), P);
  EXPECT_EQ(o.mem_file_owner(P, 3), 123);
  EXPECT_EQ(o.mem_file_owner(P, 4), P);
  EXPECT_EQ(o.mem_file_owner(P, 5), P);
  EXPECT_EQ(o.mem_file_owner(P, 6), 124);
  EXPECT_EQ(o.mem_file_owner(P, 7), 101);
  EXPECT_EQ(o.mem_file_owner(P, 8), 123);  // "." dropped
  EXPECT_EQ(o.mem_file_owner(P, 9), std::nullopt);
  EXPECT_EQ(o.mem_file_owner(P, 10), std::nullopt);
  EXPECT_EQ(o.mem_file_owner(P, 11), std::nullopt);
  o.apply(call(P, SYS_dup, {3}, 12), P);
  o.on_new_task(P, 200, false, false);
  EXPECT_EQ(o.mem_file_owner(200, 12), 123);
  EXPECT_EQ(o.mem_file_owner(200, 4), P);  // the opener's memory, not the child's
  o.apply(call(200, SYS_close, {12}, 0), 200);
  EXPECT_EQ(o.mem_file_owner(200, 12), std::nullopt);
}

// openat(dirfd, "mem") with dirfd a /proc directory the program opened.
TEST(OutputFds, TiesProcMemFilesOpenedInAProcDirectory) {
  OutputFds o;
  o.apply(open_call(P, "/proc/123", 3), P);
  Event tmp = open_call(P, "/tmp", 4);
  tmp.args[2] = O_RDONLY;
  o.apply(tmp, P);
  o.apply(open_call(P, "/tmp/file", 8), P);  // written (flags 1): not a directory, unknown
  Event at_file = call(P, SYS_openat, {8, 0x2000, 2}, 9);
  at_file.mem.push_back({0x2000, std::string("mem", 4), true});
  o.apply(at_file, P);
  auto open_at = [](pid_t tid, int dirfd, const std::string& path, int ret) {
    Event e = call(tid, SYS_openat, {static_cast<uint64_t>(dirfd), 0x2000, 2}, ret);
    e.mem.push_back({0x2000, path + std::string(1, '\0'), true});
    return e;
  };
  o.apply(open_at(P, 3, "mem", 5), P);
  o.apply(open_at(P, 3, "task/124/mem", 6), P);
  o.apply(open_at(P, 4, "mem", 7), P);
  EXPECT_EQ(o.mem_file_owner(P, 5), 123);
  EXPECT_EQ(o.mem_file_owner(P, 6), 124);
  EXPECT_EQ(o.mem_file_owner(P, 7), std::nullopt);
  EXPECT_EQ(o.mem_file_owner(P, 9), 0);  // relative to what rp cannot tell: a divergence if written
}

// Session 7's silent case: a mem file opened relative to the working
// directory (chdir("/proc"), then "self/mem" or "N/mem"), also after fchdir
// and in a child, which inherits its parent's directory with self pinned.
TEST(OutputFds, TiesProcMemFilesOpenedRelativeToTheWorkingDirectory) {
  OutputFds o;
  o.set_start_cwd("/home/u");
  auto chdir_call = [](pid_t tid, const std::string& path) {
    Event e = call(tid, SYS_chdir, {0x3000}, 0);
    e.mem.push_back({0x3000, path + std::string(1, '\0'), true});
    return e;
  };
  o.apply(open_call(P, "mem", 3), P);
  o.apply(chdir_call(P, "/proc"), P);
  o.apply(open_call(P, "self/mem", 4), P);
  o.apply(open_call(P, "123/mem", 5), P);
  o.apply(open_call(P, "self/fd/1", 6), P);
  o.apply(chdir_call(P, "self"), P);
  o.on_new_task(P, 200, false, false);
  o.apply(open_call(200, "mem", 7), 200);  // the parent's: chdir followed the link then
  o.apply(call(P, SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_DIRECTORY}, 8), P);
  o.apply(chdir_call(200, "/"), 200);
  o.apply(call(200, SYS_fchdir, {8}, 0), 200);  // fd 8 is not open in the child: unknown
  o.apply(open_call(200, "mem", 9), 200);
  o.apply(open_call(200, "/proc/124/../123/mem", 10), 200);
  o.apply(open_call(200, "notes", 11), 200);
  EXPECT_EQ(o.mem_file_owner(P, 3), std::nullopt);  // /home/u/mem
  EXPECT_EQ(o.mem_file_owner(P, 4), P);
  EXPECT_EQ(o.mem_file_owner(P, 5), 123);
  EXPECT_EQ(o.target(P, 6), 1);
  EXPECT_EQ(o.mem_file_owner(200, 7), P);
  EXPECT_EQ(o.mem_file_owner(200, 9), 0);   // directory unknown: a divergence if written
  EXPECT_EQ(o.mem_file_owner(200, 10), 0);  // "..": not resolved lexically
  EXPECT_EQ(o.mem_file_owner(200, 11), std::nullopt);
}

// Started in /, with /proc/123 open as directory `fd`.
OutputFds with_proc_dir_open(int fd) {
  OutputFds o;
  o.set_start_cwd("/");
  Event dir = open_call(P, "/proc/123", fd);
  dir.args[2] = O_RDONLY | O_DIRECTORY;
  o.apply(dir, P);
  return o;
}

// fchdir to a directory the program opened; threads (CLONE_FS) share the
// working directory, a process made with unshare(CLONE_FS) stops sharing.
TEST(OutputFds, WorkingDirectoryFollowsFchdirAndCloneFs) {
  OutputFds o = with_proc_dir_open(3);
  o.on_new_task(P, 101, true, true);
  o.on_new_task(P, 102, true, true);
  o.apply(call(102, SYS_unshare, {CLONE_FS}, 0), 102);
  o.apply(call(101, SYS_fchdir, {3}, 0), 101);
  o.apply(open_call(P, "mem", 4), P);
  o.apply(open_call(102, "mem", 5), 102);
  EXPECT_EQ(o.mem_file_owner(P, 4), 123);
  EXPECT_EQ(o.mem_file_owner(P, 5), std::nullopt);  // /mem
}

// A program that opens and closes files all its life (a read-only open is
// kept as a possible directory, every open keeps an offset): what rp keeps
// is bounded by the descriptors still open, while the facts of those stay.
TEST(OutputFds, OpenCloseLoopKeepsNoMoreThanTheOpenFiles) {
  OutputFds o = with_proc_dir_open(3);
  o.on_new_task(P, 101, false, false);  // a process that keeps its copy of fd 3
  o.apply(call(P, SYS_close, {3}, 0), P);
  Event rw = open_call(P, "/tmp/data", 4);
  rw.args[2] = O_RDWR;
  o.apply(rw, P);
  o.apply(call(P, SYS_lseek, {4, 4096, SEEK_SET}, 4096), P);
  for (int i = 0; i < 100000; i++) {
    Event read_only = open_call(P, "/etc/file" + std::to_string(i), 5);
    read_only.args[2] = O_RDONLY;  // kept as a possible directory while open
    o.apply(read_only, P);
    o.apply(call(P, SYS_close, {5}, 0), P);
  }
  EXPECT_LT(o.files_kept(), 200u);
  EXPECT_EQ(o.position(P, 4), 4096u);
  Event mem = call(101, SYS_openat, {3, 0x2000, O_RDONLY}, 8);
  mem.mem.push_back({0x2000, std::string("mem") + '\0', true});
  o.apply(mem, 101);
  EXPECT_EQ(o.mem_file_owner(101, 8), 123);  // relative to the child's fd 3
}

}  // namespace
}  // namespace rp
