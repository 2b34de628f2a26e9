#include "output_fds.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cstring>

#include "buffers.h"

namespace rp {

OutputFds::OutputFds() : root_(std::make_shared<Table>(Table{{1, 1}, {2, 2}})) {}

int OutputFds::target(pid_t tid, int fd) const {
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

void OutputFds::apply(const Event& e, pid_t) {
  if (e.kind != EventKind::kSyscall || syscall_failed(e.ret)) return;
  auto it = by_tid_.find(e.tid);
  if (it == by_tid_.end()) it = by_tid_.emplace(e.tid, root_).first;
  Table& t = *it->second;
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
          t.erase(fds[0]);
          t.erase(fds[1]);
        }
      return;
#if defined(SYS_open)  // the legacy calls arm64 does not have
    case SYS_open: case SYS_creat: case SYS_epoll_create: case SYS_eventfd:
    case SYS_signalfd: case SYS_inotify_init:
#endif
    case SYS_openat: case SYS_openat2: case SYS_socket:
    case SYS_accept: case SYS_accept4: case SYS_epoll_create1:
    case SYS_eventfd2: case SYS_signalfd4:
    case SYS_timerfd_create: case SYS_inotify_init1:
    case SYS_memfd_create: case SYS_pidfd_open: case SYS_userfaultfd:
      t.erase(static_cast<int>(e.ret));
      return;
  }
}

}  // namespace rp
