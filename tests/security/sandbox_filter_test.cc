// The seccomp filters of common/sandbox.h, installed in a forked child: the
// recording filter turns the ENOSYS-policy syscalls into ENOSYS.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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

TEST(EnosysFilter, RefusesWithEnosysAndAllowsTheRest) {
  int status = run_filtered(enosys_filter(), [] {
    long r = syscall(SYS_io_setup, 1, nullptr);
    if (r != -1 || errno != ENOSYS) return 1;
    return syscall(SYS_getpid) > 0 ? 42 : 2;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
}

}  // namespace
}  // namespace rp
