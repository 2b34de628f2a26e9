// The seccomp filters of common/sandbox.h, installed in a forked child: the
// replay filter kills a process that runs a syscall replay emulates (or the
// host-touching shmat), and lets through what replay executes; the recording
// filter turns the ENOSYS-policy syscalls into ENOSYS; every filter rp
// launches with stops calls into x86_64's vsyscall page.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "sandbox.h"

namespace rp {
namespace {

// The wait status of a child that installs `filter` and then runs `body`.
int run_filtered(std::vector<sock_filter> filter, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (install_filter(filter) != 0) _exit(100);
    syscall(SYS_exit_group, body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool killed_by_sigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

TEST(ReplayFilter, KillsAnEmulatedSyscall) {
  int status = run_filtered(replay_filter(), [] { return static_cast<int>(syscall(SYS_getpid)); });
  EXPECT_TRUE(killed_by_sigsys(status)) << "status " << status;
  status = run_filtered(replay_filter(), [] {
    return static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY));
  });
  EXPECT_TRUE(killed_by_sigsys(status)) << "status " << status;
}

TEST(ReplayFilter, KillsSysvAttach) {
  int status = run_filtered(replay_filter(), [] {
    return static_cast<int>(syscall(SYS_shmat, 0, nullptr, 0));
  });
  EXPECT_TRUE(killed_by_sigsys(status)) << "status " << status;
}

TEST(ReplayFilter, AllowsWhatReplayExecutes) {
  int status = run_filtered(replay_filter(), [] {
    void* p = reinterpret_cast<void*>(
        syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return 1;
    if (syscall(SYS_mprotect, p, 4096, PROT_READ) != 0) return 2;
    if (syscall(SYS_munmap, p, 4096) != 0) return 3;
    return 42;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
}

TEST(EnosysFilter, RefusesWithEnosysAndAllowsTheRest) {
  int status = run_filtered(enosys_filter(false), [] {
    long r = syscall(SYS_io_setup, 1, nullptr);
    if (r != -1 || errno != ENOSYS) return 1;
    return syscall(SYS_getpid) > 0 ? 42 : 2;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
}

#if defined(__x86_64__)
// A call to the vsyscall page's time() entry; its result as the kernel left it.
long vsyscall_time() {
  long ret;
  __asm__ __volatile__("callq *%%rax" : "=a"(ret) : "a"(kVsyscallPage + 0x400), "D"(nullptr)
                       : "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "cc", "memory");
  return ret;
}

bool vsyscall_page_usable() {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[256];
  bool usable = false;
  while (maps && fgets(line, sizeof line, maps))
    if (strstr(line, "[vsyscall]") && strstr(line, "--xp")) usable = true;
  if (maps) fclose(maps);
  return usable;
}

// Every filter stops a call into the vsyscall page for the tracer (with no
// tracer the kernel skips it: -ENOSYS) instead of killing or allowing it by
// its number; the ptrace backend's allows everything else.
TEST(VsyscallTrap, EveryLaunchFilterStopsIt) {
  if (!vsyscall_page_usable()) GTEST_SKIP() << "this kernel has no executable vsyscall page";
  auto body = [] {
    if (vsyscall_time() != -ENOSYS) return 1;
    return syscall(SYS_getppid) > 0 ? 42 : 2;
  };
  for (auto* filter : {&enosys_filter, +[](bool) { return ptrace_backend_filter(); }}) {
    int status = run_filtered((*filter)(true), body);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
  }
  // replay_filter kills getppid: only the vsyscall is tried there.
  int status = run_filtered(replay_filter(), [] { return vsyscall_time() == -ENOSYS ? 42 : 1; });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
  // The attach filter stays after rp detaches: a call from the page runs.
  status = run_filtered(enosys_filter(false), [] { return vsyscall_time() > 0 ? 42 : 1; });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
}
#endif

}  // namespace
}  // namespace rp
