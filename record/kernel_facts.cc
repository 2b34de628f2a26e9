#include "kernel_facts.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "proc_maps.h"
#include "rp_abi.h"
#include "tracee.h"
#include "tracer_tsc.h"
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

// The kernel's count of possible CPUs (/sys/devices/system/cpu/possible,
// "0-3" or "0,2-5"), as libbpf counts them for per-CPU map values.
uint64_t possible_cpus() {
  static const uint64_t n = [] {
    std::string text = read_proc_text("/sys/devices/system/cpu/possible");
    uint64_t count = 0;
    for (size_t at = 0; at < text.size();) {
      char* end = nullptr;
      unsigned long lo = std::strtoul(text.c_str() + at, &end, 10), hi = lo;
      if (end == text.c_str() + at) break;
      if (*end == '-') hi = std::strtoul(end + 1, &end, 10);
      count += hi >= lo ? hi - lo + 1 : 0;
      at = static_cast<size_t>(end - text.c_str()) + 1;
    }
    return count ? count : 1;
  }();
  return n;
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
    untrap_new_thread();
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

bool bpf_map_sizes(pid_t tid, uint64_t fd, uint64_t* key, uint64_t* value) {
  const std::string info = fdinfo_text(tid, fd);
  auto type = status_field(info, "map_type", 10), k = status_field(info, "key_size", 10),
       v = status_field(info, "value_size", 10);
  if (!type || !k || !v) return false;
  *key = *k;
  *value = rp_bpf_value_bytes(*type, *v, possible_cpus());
  return true;
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
  f.bpf_map = [tid, unsized](uint64_t fd, uint64_t* key, uint64_t* value) {
    if (bpf_map_sizes(tid, fd, key, value)) return true;
    ++*unsized;  // a lookup's bytes the trace lacks (or fd is no map: the call failed)
    return false;
  };
  return f;
}

}  // namespace rp
