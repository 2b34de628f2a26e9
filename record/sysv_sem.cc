#include "sysv_sem.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "proc_maps.h"
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

uint64_t file_end_in_mapping(pid_t tid, uint64_t addr) {
  for (const ProcMap& m : read_proc_maps(tid)) {
    if (addr < m.start || addr >= m.end) continue;
    if (m.inode == 0) return 0;
    // The file's pages come first, then those past its end, which cannot be
    // read: the first unreadable page, found by halving, is the end.
    Tracee mem(tid);
    uint64_t lo = 0, hi = m.size() / 4096;  // pages [0, lo) readable, [hi, ...) not
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      if (mem.read(m.start + mid * 4096, 1).size() == 1)
        lo = mid + 1;
      else
        hi = mid;
    }
    return m.start + lo * 4096;
  }
  return 0;
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
  f.file_end = [tid](uint64_t addr) { return file_end_in_mapping(tid, addr); };
  return f;
}

}  // namespace rp
