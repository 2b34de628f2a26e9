// A Tracee reads and writes like a debugger, through one /proc/pid/mem
// descriptor kept per task. Tested on this process's own memory.
#include <dirent.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstring>

#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

struct Page {
  Page() { p = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)); }
  ~Page() { munmap(p, 4096); }
  uint64_t addr() const { return reinterpret_cast<uint64_t>(p); }
  char* p;
};

TEST(Tracee, ReadsAndWritesPagesTheProgramCannot) {
  Page pg;
  std::strcpy(pg.p, "hello");
  ASSERT_EQ(mprotect(pg.p, 4096, PROT_NONE), 0);
  Tracee t(getpid());
  EXPECT_EQ(t.read(pg.addr(), 5), "hello");  // process_vm_readv cannot: the fd does
  EXPECT_TRUE(t.write(pg.addr(), "HE"));
  EXPECT_EQ(t.read_cstring(pg.addr()), "HEllo");
  ASSERT_EQ(mprotect(pg.p, 4096, PROT_READ), 0);
  EXPECT_EQ(std::string(pg.p, 5), "HEllo");
  EXPECT_EQ(t.read_u32(pg.addr()), std::optional<uint32_t>(0x6c6c4548));
}

TEST(Tracee, KeepsOneDescriptorUntilTheAddressSpaceChanges) {
  Page pg;
  ASSERT_EQ(mprotect(pg.p, 4096, PROT_READ), 0);  // writes need /proc/PID/mem
  int before = open_fds();
  Tracee t(getpid());
  EXPECT_EQ(open_fds(), before);  // opened at the first access that needs it
  for (int i = 0; i < 10; i++) ASSERT_TRUE(t.write(pg.addr() + i, "x"));
  EXPECT_EQ(open_fds(), before + 1);
  t.address_space_changed();
  EXPECT_EQ(open_fds(), before);
  ASSERT_TRUE(t.write(pg.addr(), "y"));  // opened again
  EXPECT_EQ(pg.p[0], 'y');
  EXPECT_EQ(open_fds(), before + 1);
}

// Writable pages are written by process_vm_writev (one copy, no descriptor);
// a write that runs from a writable page into a read-only one is finished
// through /proc/PID/mem.
TEST(Tracee, WritesWritablePagesWithoutTheMemFile) {
  char* p = static_cast<char*>(
      mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  const uint64_t a = reinterpret_cast<uint64_t>(p);
  int before = open_fds();
  Tracee t(getpid());
  ASSERT_TRUE(t.write(a + 10, std::string(5000, 'w')));
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(std::string(p + 10, 5000), std::string(5000, 'w'));
  ASSERT_EQ(mprotect(p + 4096, 4096, PROT_READ), 0);
  ASSERT_TRUE(t.write(a + 4090, "0123456789"));
  EXPECT_EQ(std::string(p + 4090, 10), "0123456789");
  EXPECT_EQ(open_fds(), before + 1);
  munmap(p, 8192);
}

TEST(Tracee, ShortReadAtTheEndOfTheMapping) {
  char* p = static_cast<char*>(
      mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(munmap(p + 4096, 4096), 0);  // nothing mapped after the first page
  std::memset(p, 'a', 4096);
  Tracee t(getpid());
  uint64_t a = reinterpret_cast<uint64_t>(p);
  EXPECT_EQ(t.read(a + 4090, 100).size(), 6u);
  EXPECT_EQ(t.read_cstring(a + 4093), "aaa");
  EXPECT_EQ(t.read_u64(a + 4092), std::nullopt);
  EXPECT_FALSE(t.write(a + 4095, "bc"));
  munmap(p, 4096);
}

TEST(UniqueFd, ClosesOnceAndMoves) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[1]);
  {
    unique_fd a(fds[0]);
    unique_fd b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), fds[0]);
    EXPECT_NE(fcntl(fds[0], F_GETFD), -1);
  }
  EXPECT_EQ(fcntl(fds[0], F_GETFD), -1);  // closed by b
  unique_fd c(dup(0));
  int raw = c.release();
  EXPECT_NE(fcntl(raw, F_GETFD), -1);  // released: not closed
  close(raw);
}

TEST(ScopedSignalMask, RestoresTheMaskOnUnwinding) {
  sigset_t usr1, now;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  try {
    ScopedSignalMask m(SIG_BLOCK, usr1);
    pthread_sigmask(SIG_SETMASK, nullptr, &now);
    EXPECT_TRUE(sigismember(&now, SIGUSR1));
    throw 1;
  } catch (int) {
  }
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  EXPECT_FALSE(sigismember(&now, SIGUSR1));
}

// The one /proc/TID/status reader: a named field, decimal or hex, no prefix
// matches ("Sig" is not "SigPnd"), nothing for a missing or garbled value.
TEST(StatusField, ReadsTheNamedField) {
  const char* text =
      "Name:\tcat\nTgid:\t4242\nPid:\t4243\nPPid:\t17\nTracerPid:\t9\n"
      "ShdPnd:\t0000000000000000\nSigPnd:\t0000000000040000\nSigCgt:\t0000000180004002\n"
      "Bad:\t12x\n";
  EXPECT_EQ(status_field(text, "Tgid", 10), 4242u);
  EXPECT_EQ(status_field(text, "Pid", 10), 4243u);    // not PPid's or TracerPid's line
  EXPECT_EQ(status_field(text, "PPid", 10), 17u);
  EXPECT_EQ(status_field(text, "SigPnd", 16), 0x40000u);
  EXPECT_EQ(status_field(text, "SigCgt", 16), 0x180004002u);
  EXPECT_EQ(status_field(text, "Sig", 16), std::nullopt);
  EXPECT_EQ(status_field(text, "Bad", 10), std::nullopt);
  EXPECT_EQ(status_field(text, "Missing", 10), std::nullopt);
  EXPECT_EQ(status_field("", "Tgid", 10), std::nullopt);
}

// NSpid: the pids from the reader's namespace down to the task's own; the
// init of a namespace below is 1 there, the reader's own init is not one.
TEST(StatusField, NamespacePids) {
  EXPECT_EQ(namespace_pids("Name:\tx\nNSpid:\t884\t12\t1\nNStgid:\t884\n"),
            (std::vector<pid_t>{884, 12, 1}));
  EXPECT_EQ(namespace_pids("Name:\tx\nNSpid:\t4243\n"), (std::vector<pid_t>{4243}));
  EXPECT_TRUE(namespace_pids("Name:\tx\nPid:\t4243\n").empty());
  EXPECT_TRUE(pid_namespace_init("Name:\tx\nNSpid:\t884\t1\n"));
  EXPECT_FALSE(pid_namespace_init("Name:\tinit\nNSpid:\t1\n"));
  EXPECT_FALSE(pid_namespace_init("Name:\tx\nNSpid:\t884\t2\n"));
}

TEST(StatusField, ReadsThisProcess) {
  EXPECT_EQ(proc_status_field(getpid(), "Tgid", 10), static_cast<uint64_t>(getpid()));
  EXPECT_EQ(parent_of(getpid()), getppid());
  sigset_t usr2, old;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, &old);
  raise(SIGUSR2);
  uint64_t pending = proc_status_field(gettid(), "SigPnd", 16).value_or(0) |
                     proc_status_field(gettid(), "ShdPnd", 16).value_or(0);
  EXPECT_TRUE(pending & (uint64_t{1} << (SIGUSR2 - 1)));
  signal(SIGUSR2, SIG_IGN);  // discards the pending one
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGUSR2, SIG_DFL);
  EXPECT_EQ(proc_status_field(1 << 30, "Tgid", 10), std::nullopt);  // no such task
}

TEST(FdAccessMode, ReadsThisProcessesDescriptors) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(fd_access_mode(getpid(), p[0]), O_RDONLY);
  EXPECT_EQ(fd_access_mode(getpid(), p[1]), O_WRONLY);
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(fd_access_mode(getpid(), p[0]), std::nullopt);  // closed
}

TEST(StatState, TheLetterAfterTheLastParenthesis) {
  EXPECT_EQ(stat_state("42 (sh) S 1 42 42 0"), 'S');
  EXPECT_EQ(stat_state("42 (a) b) (c) R 1 42"), 'R');  // a name may hold ") ("
  EXPECT_EQ(stat_state("42 (t) t 1"), 't');
  EXPECT_EQ(stat_state("42 (cut"), '?');
  EXPECT_EQ(stat_state("42 (x)"), '?');
  EXPECT_EQ(stat_state(""), '?');
}

TEST(StatState, ThisThreadRunsAndAStoppedChildIsStopped) {
  EXPECT_EQ(proc_task_state(gettid()), 'R');  // it is reading its own state
  pid_t child = fork();
  if (child == 0) {
    raise(SIGSTOP);
    _exit(0);
  }
  int status;
  ASSERT_EQ(waitpid(child, &status, WUNTRACED), child);
  EXPECT_EQ(proc_task_state(child), 'T');
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  EXPECT_EQ(proc_task_state(child), '?');
}

}  // namespace
}  // namespace rp
