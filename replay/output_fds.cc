#include "output_fds.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <sched.h>

#include <algorithm>
#include <cstdio>  // RENAME_EXCHANGE
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

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

// The path argument of an open or chdir call, as recorded (an input memory
// record), without the NUL the recorded string may keep.
std::optional<std::string> path_arg(const Event& e) {
  uint64_t addr = e.nr == SYS_openat || e.nr == SYS_openat2 ? e.args[1] : e.args[0];
  for (const auto& m : e.mem)
    if (m.input && m.addr == addr) return std::string(m.bytes.c_str());
  return std::nullopt;
}

// `path` below the absolute directory `base`, with empty and "." components
// dropped and /proc/self and /proc/thread-self pinned to the caller `tid`
// (the kernel follows those links when the call is made: a working
// directory there stays the caller's after a fork). ".." stays: lexical
// removal would be wrong after a symbolic link.
std::string normalized(const std::string& base, const std::string& path, pid_t tid) {
  std::vector<std::string> parts;
  std::string joined = path[0] == '/' ? path : base + "/" + path;
  for (size_t at = 0; at <= joined.size();) {
    size_t end = std::min(joined.find('/', at), joined.size());
    std::string part = joined.substr(at, end - at);
    if (!part.empty() && part != ".") parts.push_back(part);
    at = end + 1;
  }
  if (parts.size() >= 2 && parts[0] == "proc" && (parts[1] == "self" || parts[1] == "thread-self"))
    parts[1] = std::to_string(tid);
  std::string out;
  for (const std::string& part : parts) out += "/" + part;
  return out.empty() ? "/" : out;
}

// fd `to` becomes what `from` is (dup2's effect on the table).
void copy_fd(std::map<int, uint64_t>& t, int from, int to) {
  auto f = t.find(from);
  if (f == t.end())
    t.erase(to);
  else
    t[to] = f->second;
}

bool is_named_mem(const std::string& path) {
  return path == "mem" || (path.size() >= 4 && path.compare(path.size() - 4, 4, "/mem") == 0);
}

// The flags of an open call (openat2's are in its struct open_how, which
// the trace does not hold: taken as O_APPEND, an offset rp cannot follow).
uint64_t opened_flags(const Event& e) {
  if (e.nr == SYS_openat) return e.args[2];
  if (e.nr == SYS_openat2) return O_APPEND;
  return e.args[1];
}

}  // namespace

OutputFds::OutputFds()
    : root_(std::make_shared<Table>(Table{{1, 1}, {2, 2}})), root_cwd_(std::make_shared<Cwd>()) {}

void OutputFds::set_start_cwd(const std::string& cwd) {
  if (!cwd.empty() && cwd[0] == '/') *root_cwd_ = normalized("/", cwd, 0);
  else *root_cwd_ = std::nullopt;
}

void OutputFds::set_start_outputs(const std::map<int, int>& fds) {
  root_->clear();
  for (auto [fd, target] : fds)
    if (target == 1 || target == 2) (*root_)[fd] = static_cast<uint64_t>(target);
}

std::shared_ptr<OutputFds::Cwd>& OutputFds::cwd_of(pid_t tid) {
  auto it = cwd_by_tid_.find(tid);
  return it != cwd_by_tid_.end() ? it->second : cwd_by_tid_.emplace(tid, root_cwd_).first->second;
}

// The absolute path a call named relative to dirfd (AT_FDCWD: the working
// directory), or none when rp does not know that directory.
OutputFds::Cwd OutputFds::resolve(pid_t tid, const Table& t, int dirfd, const std::string& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == '/') return normalized("/", path, tid);
  if (dirfd == AT_FDCWD) {
    const Cwd& cwd = *cwd_of(tid);
    return cwd ? Cwd(normalized(*cwd, path, tid)) : std::nullopt;
  }
  auto dir = t.find(dirfd);
  auto dir_path = dir == t.end() ? dir_paths_.end() : dir_paths_.find(dir->second);
  if (dir_path == dir_paths_.end()) return std::nullopt;
  return normalized(dir_path->second, path, tid);
}

void OutputFds::apply_open(const Event& e, Table& t) {
  auto named = path_arg(e);
  bool at = e.nr == SYS_openat || e.nr == SYS_openat2;
  Cwd path = named ? resolve(e.tid, t, at ? static_cast<int>(e.args[0]) : AT_FDCWD, *named)
                   : std::nullopt;
  int reopened = path ? reopened_fd(*path, e.tid) : -1;
  if (reopened >= 0) {
    copy_fd(t, reopened, static_cast<int>(e.ret));
    return;
  }
  uint64_t id = next_file_++, flags = opened_flags(e);
  if (path && path->find("/../") == std::string::npos && !path->ends_with("/..")) {
    if (auto owner = mem_path_owner(*path, e.tid)) mem_files_[id] = *owner;
    // What may be a directory (opened read-only or O_PATH), for openat and fchdir.
    bool may_be_dir = (flags & (O_DIRECTORY | O_PATH)) ||
                      ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_CREAT));
    if (path->starts_with("/proc/") || may_be_dir) dir_paths_[id] = *path;
  } else if (named && is_named_mem(path ? *path : *named)) {
    mem_files_[id] = 0;  // may be a mem file: a write there is a divergence, not ignored
  }
  t[static_cast<int>(e.ret)] = id;
  if (!(flags & O_APPEND)) pos_[id] = 0;
  bool unnamed = (flags & O_TMPFILE) == O_TMPFILE;
  bool created = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
  objects_[id] = unnamed ? names_.unnamed() : names_.opened(path, created);
  if ((flags & O_ACCMODE) != O_RDONLY) writable_.insert(id);
}

// The absolute path argument `path_arg` of e names, relative to the
// directory descriptor in argument `dirfd_arg` (-1: the working directory).
OutputFds::Cwd OutputFds::path_at(const Event& e, const Table& t, int dirfd_arg, int path_arg) {
  for (const auto& m : e.mem) {
    if (!m.input || m.addr != e.args[path_arg]) continue;
    int dirfd = dirfd_arg < 0 ? AT_FDCWD : static_cast<int>(e.args[dirfd_arg]);
    return resolve(e.tid, t, dirfd, std::string(m.bytes.c_str()));
  }
  return std::nullopt;
}

// Calls that move a file's names (file_objects.h); a name rp cannot resolve
// is not followed, so a later open of it counts as a new file.
void OutputFds::apply_names(const Event& e, const Table& t) {
  auto two = [&](int from_dir, int from, int to_dir, int to) {
    return std::pair(path_at(e, t, from_dir, from), path_at(e, t, to_dir, to));
  };
  std::pair<Cwd, Cwd> names;
  bool exchange = false, link = false;
  switch (e.nr) {
#if defined(SYS_unlink)
    case SYS_unlink: case SYS_rmdir:
      if (auto p = path_at(e, t, -1, 0)) names_.unlinked(*p);
      return;
    case SYS_rename: names = two(-1, 0, -1, 1); break;
    case SYS_link: names = two(-1, 0, -1, 1); link = true; break;
#endif
    case SYS_unlinkat:
      if (auto p = path_at(e, t, 0, 1)) names_.unlinked(*p);
      return;
    case SYS_renameat: names = two(0, 1, 2, 3); break;
    case SYS_renameat2: names = two(0, 1, 2, 3); exchange = e.args[4] & RENAME_EXCHANGE; break;
    case SYS_linkat: names = two(0, 1, 2, 3); link = true; break;
    default: return;
  }
  auto& [from, to] = names;
  if (to && !from) names_.unlinked(*to);  // replaced by a file rp cannot name
  if (!from || !to) return;
  if (link)
    names_.linked(*from, *to);
  else
    names_.renamed(*from, *to, exchange);
}

void OutputFds::apply_chdir(const Event& e, const Table& t) {
  Cwd to;  // fchdir(fd): the directory fd names, as openat(fd, ".") would
  if (e.nr == SYS_fchdir)
    to = resolve(e.tid, t, static_cast<int>(e.args[0]), ".");
  else if (auto named = path_arg(e))
    to = resolve(e.tid, t, AT_FDCWD, *named);
  *cwd_of(e.tid) = to;
}

int OutputFds::target(pid_t tid, int fd) const {
  uint64_t id = file_id(tid, fd);
  return id <= 2 ? static_cast<int>(id) : 0;
}

uint64_t OutputFds::object_id(pid_t tid, int fd) const {
  auto o = objects_.find(file_id(tid, fd));
  return o == objects_.end() ? 0 : o->second;
}

uint64_t OutputFds::file_id(pid_t tid, int fd) const {
  auto it = by_tid_.find(tid);
  const Table& t = it == by_tid_.end() ? *root_ : *it->second;
  auto f = t.find(fd);
  return f == t.end() ? 0 : f->second;
}

void OutputFds::on_new_task(pid_t parent, pid_t child, bool share, bool share_fs) {
  auto it = by_tid_.find(parent);
  auto table = it == by_tid_.end() ? root_ : it->second;
  by_tid_[child] = share ? table : std::make_shared<Table>(*table);
  std::shared_ptr<Cwd> cwd = cwd_of(parent);
  cwd_by_tid_[child] = share_fs ? cwd : std::make_shared<Cwd>(*cwd);
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
      case SYS_close: case SYS_dup: case SYS_dup3: case SYS_fcntl: case SYS_flock:
      case SYS_fchmod: case SYS_fchown: case SYS_fstatfs: case SYS_fadvise64:
      case SYS_fallocate: case SYS_fgetxattr: case SYS_fsetxattr: case SYS_statx:
#if defined(SYS_dup2)
      case SYS_dup2:
#endif
        break;  // the offset stays
      default: pos.reset();
    }
  }
}

// Facts about a file are asked through a descriptor, so those no table
// refers to any more are dropped; the tables are swept when the facts have
// doubled since the last sweep (amortized: a long open/close loop stays small).
void OutputFds::forget_closed_files() {
  if (files_kept() < 2 * kept_after_sweep_ + 64) return;
  std::set<uint64_t> open;
  auto add = [&](const Table& t) {
    for (const auto& [fd, id] : t) open.insert(id);
  };
  add(*root_);
  for (const auto& [tid, t] : by_tid_) add(*t);
  for (const auto& [sock, queue] : in_flight_)  // passed: open in no table, yet kept
    for (const auto& ids : queue) open.insert(ids.begin(), ids.end());
  auto sweep = [&](auto& by_file) {
    std::erase_if(by_file, [&](const auto& f) { return !open.count(f.first); });
  };
  sweep(pos_);
  sweep(mem_files_);
  sweep(dir_paths_);
  sweep(pidfds_);
  sweep(peers_);
  sweep(in_flight_);
  std::set<uint64_t> open_objects;
  for (const auto& [file, object] : objects_)
    if (open.count(file)) open_objects.insert(object);
  sweep(objects_);
  std::erase_if(writable_, [&](uint64_t id) { return !open.count(id); });
  names_.keep_only(open_objects);
  kept_after_sweep_ = files_kept();
}

// pidfd_getfd(pidfd, fd): a copy of descriptor fd of the process the pidfd
// names (pidfd_open's recorded pid), as dup would make it there.
void OutputFds::apply_pidfd_getfd(const Event& e, Table& t) {
  int to = static_cast<int>(e.ret);
  auto f = t.find(static_cast<int>(e.args[0]));
  auto pid = f == t.end() ? pidfds_.end() : pidfds_.find(f->second);
  auto owner = pid == pidfds_.end() ? by_tid_.end() : by_tid_.find(pid->second);
  if (owner == by_tid_.end()) {
    t.erase(to);  // a process rp does not know: an unknown file
    return;
  }
  auto from = owner->second->find(static_cast<int>(e.args[1]));
  if (from == owner->second->end())
    t.erase(to);
  else
    t[to] = from->second;
}

void OutputFds::apply(const Event& e, pid_t) {
  if (e.kind != EventKind::kSyscall) return;
  forget_closed_files();
  auto it = by_tid_.find(e.tid);
  if (it == by_tid_.end()) it = by_tid_.emplace(e.tid, root_).first;
  Table& t = *it->second;
  follow_position(e, t);
  if (syscall_failed(e.ret)) return;
  auto copy = [&](int from, int to) { copy_fd(t, from, to); };
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
          if (e.nr == SYS_socketpair) {
            peers_[t[fds[0]]] = t[fds[1]];
            peers_[t[fds[1]]] = t[fds[0]];
          }
        }
      return;
    case SYS_recvmsg: case SYS_recvmmsg:
      apply_received(e, t);
      return;
#if defined(SYS_open)
    case SYS_open:
#endif
    case SYS_openat: case SYS_openat2:
      apply_open(e, t);
      return;
    case SYS_chdir: case SYS_fchdir:
      apply_chdir(e, t);
      return;
#if defined(SYS_unlink)
    case SYS_unlink: case SYS_rmdir: case SYS_rename: case SYS_link:
#endif
    case SYS_unlinkat: case SYS_renameat: case SYS_renameat2: case SYS_linkat:
      apply_names(e, t);
      return;
    case SYS_unshare:  // the working directory, the descriptors: the thread's own from now on
      if (e.args[0] & CLONE_FS) cwd_of(e.tid) = std::make_shared<Cwd>(*cwd_of(e.tid));
      if (e.args[0] & CLONE_FILES) it->second = std::make_shared<Table>(t);
      return;
    case SYS_pidfd_getfd:
      apply_pidfd_getfd(e, t);
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
      if (e.nr == SYS_pidfd_open) pidfds_[next_file_] = static_cast<pid_t>(e.args[0]);
      if (e.nr == SYS_memfd_create) {
        objects_[next_file_] = names_.unnamed();
        writable_.insert(next_file_);
      }
#if defined(SYS_creat)
      if (e.nr == SYS_creat) {
        objects_[next_file_] = names_.opened(path_at(e, t, -1, 0), false);
        writable_.insert(next_file_);
      }
#endif
      t[static_cast<int>(e.ret)] = next_file_++;
      return;
  }
}

}  // namespace rp
