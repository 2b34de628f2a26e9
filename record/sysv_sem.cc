#include "sysv_sem.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

std::optional<uint64_t> stat_set(uint64_t semid) {
  if (semid > INT32_MAX) return std::nullopt;
  semid_ds ds{};
  if (semctl(static_cast<int>(semid), 0, IPC_STAT, &ds) != 0) return std::nullopt;
  return ds.sem_nsems;
}

bool same_file(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

std::optional<uint64_t> sem_set_size(pid_t tid, uint64_t semid) {
  unique_fd theirs(open(("/proc/" + std::to_string(tid) + "/ns/ipc").c_str(), O_RDONLY | O_CLOEXEC));
  unique_fd ours(open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC));
  if (!theirs || !ours) return std::nullopt;
  if (same_file(theirs.get(), ours.get())) return stat_set(semid);
  // setns changes only the calling thread's IPC namespace: a helper thread
  // asks from the program's, then ends.
  std::optional<uint64_t> n;
  std::thread helper([&] {
    if (setns(theirs.get(), CLONE_NEWIPC) == 0) n = stat_set(semid);
  });
  helper.join();
  return n;
}

KernelFacts tracee_kernel_facts(pid_t tid, uint64_t* unsized) {
  KernelFacts f;
  f.sem_nsems = [tid, unsized](uint64_t semid) {
    auto n = sem_set_size(tid, semid);
    if (!n) ++*unsized;
    return n;
  };
  f.fd_reads = [tid](uint64_t fd) {
    auto mode = fd_access_mode(tid, fd);
    return mode && *mode != O_WRONLY;
  };
  return f;
}

}  // namespace rp
