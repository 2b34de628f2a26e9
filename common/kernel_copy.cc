#include "kernel_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

std::string fd_path(pid_t tid, const char* dir, uint64_t fd) {
  return "/proc/" + std::to_string(tid) + "/" + dir + "/" + std::to_string(fd);
}

// Calls fn(dir, name, fd) for each descriptor of process pid (`dir` the
// open /proc/PID/fd, `name` the entry in it) until fn returns true; none
// if the process is gone (or a kernel thread).
void each_fd(pid_t pid, const std::function<bool(int, const char*, int)>& fn) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(("/proc/" + std::to_string(pid) + "/fd").c_str()),
                                          closedir);
  if (!dir) return;
  while (const dirent* d = readdir(dir.get())) {
    char* end;
    const long fd = std::strtol(d->d_name, &end, 10);
    if (d->d_name[0] < '0' || d->d_name[0] > '9' || *end || fd > INT32_MAX) continue;
    if (fn(dirfd(dir.get()), d->d_name, static_cast<int>(fd))) return;
  }
}

// The source's file offset after the call: the updated offset argument, or
// the file's own position when the call used it (a null offset pointer).
std::optional<uint64_t> offset_after(pid_t tid, Tracee& mem, uint64_t fd, uint64_t off_ptr) {
  if (off_ptr) return mem.read_u64(off_ptr);
  std::ifstream info(fd_path(tid, "fdinfo", fd));
  std::string key;
  uint64_t pos;
  if (info >> key >> pos && key == "pos:") return pos;
  return std::nullopt;
}

}  // namespace

bool OutputFiles::is_file(int i, const struct stat& st) const {
  return file[i] && file[i]->first == st.st_dev && file[i]->second == st.st_ino;
}

OutputFiles output_files_of(pid_t pid) {
  OutputFiles out;
  for (int fd = 1; fd <= 2; fd++) {
    struct stat st;
    if (stat(fd_path(pid, "fd", fd).c_str(), &st) == 0) out.file[fd - 1] = {st.st_dev, st.st_ino};
  }
  return out;
}

std::optional<struct stat> output_stat(pid_t tid, uint64_t fd, const OutputFiles& out) {
  struct stat st;
  if (stat(fd_path(tid, "fd", fd).c_str(), &st) != 0 || !out.is_output(st)) return std::nullopt;
  return st;
}

std::map<int, int> output_fds_of(pid_t pid, const OutputFiles& out) {
  std::map<int, int> fds;
  each_fd(pid, [&](int dir, const char* name, int fd) {
    struct stat st;
    if (fstatat(dir, name, &st, 0) != 0) return false;
    if (out.is_file(1, st) && (fd == 2 || !out.is_file(0, st))) fds[fd] = 2;
    else if (out.is_file(0, st)) fds[fd] = 1;
    return false;
  });
  return fds;
}

rp_output_files kernel_output_files(const OutputFiles& out) {
  rp_output_files k{};
  for (int i = 0; i < 2; i++) {
    if (!out.file[i]) continue;
    dev_t d = out.file[i]->first;
    k.dev[i] = static_cast<uint32_t>(major(d) << 20 | minor(d));
    k.ino[i] = out.file[i]->second;
  }
  return k;
}

namespace {

// The bytes [end - n, end) of regular file `fd` of thread `tid`. Only a
// regular file is opened (opening a device may do something), and checked
// again once open: another thread may have replaced the fd.
std::optional<std::string> read_file_before(pid_t tid, uint64_t fd, uint64_t end, uint64_t n) {
  std::string path = fd_path(tid, "fd", fd);
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || end < n) return std::nullopt;
  unique_fd f(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!f || fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string bytes(n, '\0');
  if (pread(f.get(), bytes.data(), n, static_cast<off_t>(end - n)) != static_cast<ssize_t>(n))
    return std::nullopt;
  return bytes;
}

bool is_pipe(pid_t tid, uint64_t fd) {
  struct stat st;
  return stat(fd_path(tid, "fd", fd).c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

// Whether fd `name` of /proc/PID/fd (`dir`) is the pipe: an anonymous pipe
// by its link text alone ("pipe:[INO]", no stat: cheaper on a scan of every
// process), a named FIFO by stat.
bool is_that_pipe(int dir, const char* name, ino_t ino, const std::string& anon_link) {
  if (!anon_link.empty()) {
    char link[64];
    ssize_t n = readlinkat(dir, name, link, sizeof link);
    return n == static_cast<ssize_t>(anon_link.size()) && anon_link.compare(0, n, link, n) == 0;
  }
  struct stat st;
  return fstatat(dir, name, &st, 0) == 0 && S_ISFIFO(st.st_mode) && st.st_ino == ino;
}

// Whether process `pid` holds pipe `ino` open for reading.
bool process_reads_pipe(pid_t pid, ino_t ino, const std::string& anon_link) {
  bool reads = false;
  each_fd(pid, [&](int dir, const char* name, int fd) {
    if (!is_that_pipe(dir, name, ino, anon_link)) return false;
    auto mode = fd_access_mode(pid, fd);
    reads = !mode || *mode != O_WRONLY;  // flags unknown: may read
    return true;
  });
  return reads;
}

// Whether a thread other than `tid` (stopped) may have read from its pipe
// `fd` since the call: another thread of its process (they share its fds),
// or another process holding the pipe open for reading. rp's own peek is not
// one (`self`). Scans /proc: tee into the output is rare. True when the pipe
// is gone from that fd.
bool pipe_may_have_other_reader(pid_t tid, uint64_t fd, pid_t self) {
  const std::string path = fd_path(tid, "fd", fd);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return true;
  const std::string status = proc_status(tid);  // both fields of one moment
  auto threads = status_field(status, "Threads", 10);
  if (threads && *threads != 1) return true;
  auto tgid = status_field(status, "Tgid", 10);
  if (!tgid || *tgid == 0) return true;
  // An anonymous pipe's fds all link to this text; a named FIFO's to a path.
  std::string anon_link = "pipe:[" + std::to_string(st.st_ino) + "]";
  char link[64];
  ssize_t n = readlink(path.c_str(), link, sizeof link);
  if (n != static_cast<ssize_t>(anon_link.size()) || anon_link.compare(0, n, link, n) != 0)
    anon_link.clear();
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return true;
  while (dirent* p = readdir(proc.get())) {
    pid_t pid = std::atoi(p->d_name);
    if (pid <= 0 || static_cast<uint64_t>(pid) == *tgid || pid == self) continue;
    if (process_reads_pipe(pid, st.st_ino, anon_link)) return true;
  }
  return false;
}

// Pipe `fd` of thread `tid`, opened for reading through its /proc link: a
// reader of rp's own on the same pipe (opening a pipe's link opens the pipe,
// as a FIFO). Only a FIFO is opened (opening a device may do something), and
// checked again once open: another thread may have replaced the fd.
unique_fd open_pipe(pid_t tid, uint64_t fd) {
  std::string path = fd_path(tid, "fd", fd);
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode)) return unique_fd();
  unique_fd in(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!in || fstat(in.get(), &st) != 0 || !S_ISFIFO(st.st_mode)) return unique_fd();
  return in;
}

// The first `n` bytes waiting in pipe `in`, without consuming them: tee
// copies them into a private pipe. None if fewer are there.
std::optional<std::string> peek_open_pipe(int in, uint64_t n) {
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return std::nullopt;
  unique_fd r(p[0]), w(p[1]);
  if (n > 65536 && fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(n)) < static_cast<int>(n))
    return std::nullopt;  // more than a pipe of ours holds
  ssize_t got = tee(in, w.get(), n, SPLICE_F_NONBLOCK);
  if (got != static_cast<ssize_t>(n)) return std::nullopt;
  std::string bytes(n, '\0');
  if (read(r.get(), bytes.data(), n) != static_cast<ssize_t>(n)) return std::nullopt;
  return bytes;
}

}  // namespace

std::optional<std::string> peek_pipe(pid_t tid, uint64_t fd, uint64_t n) {
  unique_fd in = open_pipe(tid, fd);
  if (!in) return std::nullopt;
  return peek_open_pipe(in.get(), n);
}

std::optional<EntryPeek> peek_splice_source(pid_t tid, int64_t nr, const uint64_t* args,
                                            const OutputFiles& out) {
  if (nr != SYS_splice) return std::nullopt;
  auto st = output_stat(tid, args[2], out);
  if (!st || S_ISREG(st->st_mode)) return std::nullopt;  // not the output, or a file read back at the exit
  unique_fd in = open_pipe(tid, args[0]);
  int waiting = 0;
  if (!in || ioctl(in.get(), FIONREAD, &waiting) != 0 || waiting <= 0) return std::nullopt;
  uint64_t n = std::min<uint64_t>({static_cast<uint64_t>(waiting), args[4],
                                   static_cast<uint64_t>(kMaxCopiedBytes)});
  auto bytes = peek_open_pipe(in.get(), n);
  if (!bytes) return std::nullopt;
  return EntryPeek{args[0], args[2], args[4], std::move(*bytes)};
}

std::optional<std::string> read_copied_bytes(pid_t tid, Tracee& mem, const Event& e,
                                             const OutputFiles& out, const EntryPeek* peek) {
  // The kernel backends' rule (rp_abi.h): a successful copy.
  int dst = rp_copy_to_check(e.nr, e.ret);
  if (dst < 0 || e.ret > kMaxCopiedBytes) return std::nullopt;
  if (!output_stat(tid, e.args[dst], out)) return std::nullopt;
  uint64_t n = static_cast<uint64_t>(e.ret);
  bool sendfile = e.nr == SYS_sendfile;  // (out, in, &off); the others (in, &off_in, out, ...)
  uint64_t src = e.args[sendfile ? 1 : 0], off_ptr = e.args[sendfile ? 2 : 1];
  if (e.nr == SYS_tee) {
    // Still at the head of the source pipe, unless someone read them since:
    // then they are unknown, never guessed.
    if (pipe_may_have_other_reader(tid, src, getpid())) return std::nullopt;
    return peek_pipe(tid, src, n);
  }
  if (e.nr == SYS_splice && is_pipe(tid, src)) {
    // Out of a pipe, they are gone: peeked at the entry, unless the output
    // is a regular file; there they are just before the offset the call left
    // (splice refuses O_APPEND files).
    if (peek) {
      bool same_call = peek->fd_in == src && peek->fd_out == e.args[dst] && peek->len == e.args[4];
      if (!same_call || peek->bytes.size() < n || pipe_may_have_other_reader(tid, src, getpid()))
        return std::nullopt;
      return peek->bytes.substr(0, n);
    }
    auto end = offset_after(tid, mem, e.args[dst], e.args[3]);
    if (!end) return std::nullopt;
    return read_file_before(tid, e.args[dst], *end, n);
  }
  auto end = offset_after(tid, mem, src, off_ptr);
  if (!end) return std::nullopt;
  return read_file_before(tid, src, *end, n);
}

}  // namespace rp
