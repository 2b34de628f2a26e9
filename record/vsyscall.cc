// Calls into x86_64's vsyscall page (common/sandbox.h, kVsyscallTrap): the
// kernel runs them from its page-fault path, so no syscall hook, neither the
// kernel side's nor ptrace's syscall stops, sees them; only seccomp does.
// rp answers such a call at that stop from its own clocks, which are the
// program's, skips it in the kernel and records it like any call it answers;
// replay answers it at the same stop (replay/syscalls.cc, at_vsyscall).
#include <sys/syscall.h>
#include <sys/time.h>
#include <dirent.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "ptrace_recorder.h"
#include "sandbox.h"

namespace rp {
namespace {

// The CPU the thread last ran on (/proc/TID/stat, field 39), where the
// kernel's getcpu would have found it.
std::optional<unsigned> last_cpu(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 2));  // from field 3, the state
  std::string f;
  for (int field = 3; fields >> f; field++)
    if (field == 39) return static_cast<unsigned>(std::stoul(f));
  return std::nullopt;
}

// The NUMA node of a CPU: its nodeN entry in sysfs; 0 without NUMA.
unsigned node_of(unsigned cpu) {
  const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  unsigned node = 0;
  while (dirent* e = readdir(d))
    if (std::strncmp(e->d_name, "node", 4) == 0 && e->d_name[4] >= '0' && e->d_name[4] <= '9')
      node = static_cast<unsigned>(std::strtoul(e->d_name + 4, nullptr, 10));
  closedir(d);
  return node;
}

// Writes what the call returns through its pointers (none for a null one)
// and gives its result; none where a write fails: the kernel then makes the
// call, which faults (SIGSEGV, as without rp; replay reports that call missing).
std::optional<int64_t> run_vsyscall(pid_t tid, Tracee& mem, int64_t nr, const uint64_t args[6]) {
  auto put = [&](uint64_t addr, const std::string& bytes) {
    return !addr || mem.write(addr, bytes);
  };
  switch (nr) {
    case SYS_gettimeofday: {
      timeval tv{};
      struct timezone tz{};
      gettimeofday(&tv, &tz);
      if (!put(args[0], bytes_of(&tv, sizeof tv)) || !put(args[1], bytes_of(&tz, sizeof tz)))
        return std::nullopt;
      return 0;
    }
#if defined(SYS_time)  // x86_64's; arm64 has neither it nor the page
    case SYS_time: {
      const time_t now = time(nullptr);
      if (!put(args[0], bytes_of(&now, sizeof now))) return std::nullopt;
      return now;
    }
#endif
    case SYS_getcpu: {
      auto last = last_cpu(tid);
      if (!last) return std::nullopt;
      const unsigned cpu = *last, node = node_of(cpu);
      if (!put(args[0], bytes_of(&cpu, sizeof cpu)) || !put(args[1], bytes_of(&node, sizeof node)))
        return std::nullopt;
      return 0;
    }
    default: return std::nullopt;  // the page has no other entry
  }
}

}  // namespace

bool PtraceRecorder::answer_vsyscall(Task& t) {
  Regs regs;
  auto c = trapped_call(t.tid);
  if (!c || !regs.read(t.tid) || !in_vsyscall_page(regs.ip())) return false;
  auto ret = run_vsyscall(t.tid, t.mem, c->nr, c->args);
  if (!ret) return false;
  begin_stopped_call(t);
  t.nr = c->nr;
  std::copy(c->args, c->args + 6, t.args);
  if (kernel_) {
    number_entry(t);
  } else {
    t.entry_seq = ++seq_;
    t.t_entry = stop_ns();
    read_call(t);
  }
  skip_call(t, *ret);
  on_syscall_exit(t, /*exit_stop=*/false);  // none for its tracer, if any
  return true;
}

}  // namespace rp
