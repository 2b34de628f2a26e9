#include "private_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "trace_check.h"

namespace rp {
namespace {

constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// `rel` relative to `root`, never resolving outside it or through a symlink.
int open_beneath(int root, const std::string& rel, uint64_t flags, uint64_t mode = 0) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = kResolve;
  return static_cast<int>(syscall(SYS_openat2, root, rel.c_str(), &how, sizeof how));
}

// mkdir of every component of `path` (absolute) beneath root, the last one
// too if `last`. A ".." component is left to the kernel, which resolves it
// beneath the root as the program's execve will inside the chroot.
int make_dirs_beneath(int root, const std::string& path, bool last) {
  std::string prefix = ".";
  size_t i = 0;
  while (i < path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(i, end - i);
    i = end + 1;
    if (part.empty() || part == "." || part == "..") {
      if (!part.empty()) prefix += "/" + part;
      continue;
    }
    if (end == path.size() && !last) break;
    int dir = open_beneath(root, prefix, O_PATH | O_DIRECTORY);
    if (dir < 0) return errno;
    int rc = mkdirat(dir, part.c_str(), 0755);
    int err = errno;
    close(dir);
    if (rc != 0 && err != EEXIST) return err;
    prefix += "/" + part;
  }
  int dir = open_beneath(root, prefix, O_PATH | O_DIRECTORY);  // what exists must be a directory
  if (dir < 0) return errno;
  close(dir);
  return 0;
}

int write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int create_file(int root, const ExecFile& f) {
  if (!path_problem(f.path).empty() || f.path == "/") return EINVAL;
  if (int e = make_dirs_beneath(root, f.path, false)) return e;
  // O_EXCL: a path stored twice, or anything already there, is refused.
  int fd = open_beneath(root, "." + f.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  if (fd < 0) return errno;
  int err = write_all(fd, f.bytes);
  if (!err && fchmod(fd, replay_file_mode(f.mode)) != 0) err = errno;
  close(fd);
  return err;
}

}  // namespace

int fill_private_root(int root_fd, const std::vector<ExecFile>& files, const std::string& cwd,
                      const std::string& exe_path) {
  for (const auto& f : files)
    if (int e = create_file(root_fd, f)) return e;
  if (!cwd.empty()) {
    if (!path_problem(cwd).empty()) return EINVAL;
    if (int e = make_dirs_beneath(root_fd, cwd, true)) return e;
  }
  // The kernel walks exe_path inside the root: "/a/x/../b/prog" needs /a/x
  // to exist although the file is stored as /a/b/prog. Best effort: if this
  // fails the execve fails and says so.
  if (!exe_path.empty() && exe_path[0] == '/' && exe_path.size() <= kMaxPathLen)
    make_dirs_beneath(root_fd, exe_path, false);
  return 0;
}

}  // namespace rp
