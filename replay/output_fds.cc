#include "output_fds.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "buffers.h"
#include "syscall_table.h"

namespace rp {
namespace {

// The descriptor a path re-opens (/dev/stdout, /proc/self/fd/1, ...), or -1:
// opening it gives a new fd on the same file, so output written there is
// the program's terminal output as much as a write to the original fd.
int reopened_fd(const std::string& path, pid_t tid) {
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  std::string rest;
  const std::string prefixes[] = {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/",
                                  "/proc/" + std::to_string(tid) + "/fd/"};
  for (const std::string& prefix : prefixes)
    if (path.rfind(prefix, 0) == 0) rest = path.substr(prefix.size());
  if (rest.empty() || rest.size() > 9 || rest.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::atoi(rest.c_str());
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// For a path ending in /mem under /proc: the tid whose memory it is (the
// opener's for self and thread-self), or 0 when the path has another shape
// (replay cannot tell whose memory a write there changed).
std::optional<pid_t> mem_path_owner(const std::string& path, pid_t opener) {
  const std::string proc = "/proc/", mem = "/mem";
  if (path.rfind(proc, 0) != 0 || path.size() < proc.size() + mem.size() ||
      path.compare(path.size() - mem.size(), mem.size(), mem) != 0)
    return std::nullopt;
  std::string who = path.substr(proc.size(), path.size() - proc.size() - mem.size());
  size_t task = who.find("/task/");
  if (task != std::string::npos) {  // N/task/M or self/task/M: thread M
    std::string head = who.substr(0, task);
    if (head != "self" && !all_digits(head)) return 0;
    who = who.substr(task + 6);
  }
  if (who == "self" || who == "thread-self") return opener;
  return all_digits(who) ? static_cast<pid_t>(std::atoi(who.c_str())) : 0;
}

// The path argument of an open call, as recorded (an input memory record).
const std::string* opened_path(const Event& e) {
  uint64_t addr = e.nr == SYS_openat || e.nr == SYS_openat2 ? e.args[1] : e.args[0];
  for (const auto& m : e.mem)
    if (m.input && m.addr == addr) return &m.bytes;
  return nullptr;
}

// The flags of an open call (openat2's are in its struct open_how, which
// the trace does not hold: taken as O_APPEND, an offset rp cannot follow).
uint64_t opened_flags(const Event& e) {
  if (e.nr == SYS_openat) return e.args[2];
  if (e.nr == SYS_openat2) return O_APPEND;
  return e.args[1];
}

}  // namespace

OutputFds::OutputFds() : root_(std::make_shared<Table>(Table{{1, 1}, {2, 2}})) {}

int OutputFds::target(pid_t tid, int fd) const {
  uint64_t id = file_id(tid, fd);
  return id <= 2 ? static_cast<int>(id) : 0;
}

uint64_t OutputFds::file_id(pid_t tid, int fd) const {
  auto it = by_tid_.find(tid);
  const Table& t = it == by_tid_.end() ? *root_ : *it->second;
  auto f = t.find(fd);
  return f == t.end() ? 0 : f->second;
}

void OutputFds::on_new_task(pid_t parent, pid_t child, bool share) {
  auto it = by_tid_.find(parent);
  auto table = it == by_tid_.end() ? root_ : it->second;
  by_tid_[child] = share ? table : std::make_shared<Table>(*table);
}

std::optional<uint64_t> OutputFds::position(pid_t tid, int fd) const {
  auto p = pos_.find(file_id(tid, fd));
  return p == pos_.end() ? std::nullopt : p->second;
}

std::optional<pid_t> OutputFds::mem_file_owner(pid_t tid, int fd) const {
  auto m = mem_files_.find(file_id(tid, fd));
  return m == mem_files_.end() ? std::nullopt : std::optional<pid_t>(m->second);
}

// Offsets move by what read/write moved, lseek says where it went; any
// other call on a file rp follows (sendfile, ...) makes its offset unknown.
void OutputFds::follow_position(const Event& e, const Table& t) {
  const SyscallSpec* s = syscall_spec(e.nr);
  if (!s) return;
  for (int i = 0; s->arg_kinds[i]; i++) {
    if (s->arg_kinds[i] != 'f') continue;
    auto f = t.find(static_cast<int>(e.args[i]));
    if (f == t.end() || !pos_.count(f->second)) continue;
    std::optional<uint64_t>& pos = pos_[f->second];
    switch (e.nr) {
      case SYS_read: case SYS_write: case SYS_readv: case SYS_writev:
        if (pos && !syscall_failed(e.ret)) *pos += static_cast<uint64_t>(e.ret);
        break;
      case SYS_lseek:
        if (!syscall_failed(e.ret)) pos = static_cast<uint64_t>(e.ret);
        break;
      case SYS_pread64: case SYS_pwrite64: case SYS_preadv: case SYS_pwritev:
      case SYS_fstat: case SYS_mmap: case SYS_ftruncate: case SYS_fsync: case SYS_fdatasync:
      case SYS_close: case SYS_dup: case SYS_dup3: case SYS_fcntl:
        break;  // the offset stays
      default: pos.reset();
    }
  }
}

void OutputFds::apply(const Event& e, pid_t) {
  if (e.kind != EventKind::kSyscall) return;
  auto it = by_tid_.find(e.tid);
  if (it == by_tid_.end()) it = by_tid_.emplace(e.tid, root_).first;
  Table& t = *it->second;
  follow_position(e, t);
  if (syscall_failed(e.ret)) return;
  auto copy = [&](int from, int to) {
    auto f = t.find(from);
    if (f == t.end())
      t.erase(to);
    else
      t[to] = f->second;
  };
  int a0 = static_cast<int>(e.args[0]);
  switch (e.nr) {
    case SYS_close: t.erase(a0); return;
    case SYS_close_range:
      for (auto f = t.begin(); f != t.end();)
        f = (f->first >= a0 && static_cast<uint64_t>(f->first) <= e.args[1]) ? t.erase(f)
                                                                            : std::next(f);
      return;
    case SYS_dup: copy(a0, static_cast<int>(e.ret)); return;
#if defined(SYS_dup2)
    case SYS_dup2:
#endif
    case SYS_dup3: copy(a0, static_cast<int>(e.args[1])); return;
    case SYS_fcntl:
      if (e.args[1] == F_DUPFD || e.args[1] == F_DUPFD_CLOEXEC) copy(a0, static_cast<int>(e.ret));
      return;
#if defined(SYS_pipe)
    case SYS_pipe:
#endif
    case SYS_pipe2:
    case SYS_socketpair:
      for (const auto& m : e.mem)
        if (!m.input && m.bytes.size() == 8) {
          int fds[2];
          std::memcpy(fds, m.bytes.data(), 8);
          t[fds[0]] = next_file_++;
          t[fds[1]] = next_file_++;
        }
      return;
#if defined(SYS_open)
    case SYS_open:
#endif
    case SYS_openat: case SYS_openat2:
      if (const std::string* p = opened_path(e)) {
        std::string path(p->c_str());  // the recorded string may keep its NUL
        int fd = reopened_fd(path, e.tid);
        if (fd >= 0) {
          copy(fd, static_cast<int>(e.ret));
          return;
        }
        // Relative to a /proc directory the program opened (openat(dirfd, "mem")).
        int dirfd = static_cast<int>(e.args[0]);
        bool at_dir = (e.nr == SYS_openat || e.nr == SYS_openat2) && dirfd != AT_FDCWD;
        if (at_dir && !path.empty() && path[0] != '/') {
          auto dir = t.find(dirfd);
          auto dir_path = dir == t.end() ? proc_paths_.end() : proc_paths_.find(dir->second);
          if (dir_path != proc_paths_.end()) path = dir_path->second + "/" + path;
        }
        if (auto owner = mem_path_owner(path, e.tid)) mem_files_[next_file_] = *owner;
        if (path.rfind("/proc/", 0) == 0) proc_paths_[next_file_] = path;
      }
      t[static_cast<int>(e.ret)] = next_file_;
      if (!(opened_flags(e) & O_APPEND)) pos_[next_file_] = 0;
      next_file_++;
      return;
#if defined(SYS_open)  // the legacy calls arm64 does not have
    case SYS_creat: case SYS_epoll_create: case SYS_eventfd:
    case SYS_signalfd: case SYS_inotify_init:
#endif
    case SYS_socket:
    case SYS_accept: case SYS_accept4: case SYS_epoll_create1:
    case SYS_eventfd2: case SYS_signalfd4:
    case SYS_timerfd_create: case SYS_inotify_init1:
    case SYS_memfd_create: case SYS_pidfd_open: case SYS_userfaultfd:
#if defined(SYS_creat)
      if (e.nr == SYS_creat) pos_[next_file_] = 0;
#endif
      if (e.nr == SYS_memfd_create) pos_[next_file_] = 0;
      t[static_cast<int>(e.ret)] = next_file_++;
      return;
  }
}

}  // namespace rp
