#include "kernel_copy.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>

#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

std::string fd_path(pid_t tid, const char* dir, uint64_t fd) {
  return "/proc/" + std::to_string(tid) + "/" + dir + "/" + std::to_string(fd);
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

bool OutputFiles::is_output(const struct stat& st) const {
  for (const auto& f : file)
    if (f && f->first == st.st_dev && f->second == st.st_ino) return true;
  return false;
}

OutputFiles output_files_of(pid_t pid) {
  OutputFiles out;
  for (int fd = 1; fd <= 2; fd++) {
    struct stat st;
    if (stat(fd_path(pid, "fd", fd).c_str(), &st) == 0) out.file[fd - 1] = {st.st_dev, st.st_ino};
  }
  return out;
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

std::optional<std::string> read_copied_bytes(pid_t tid, Tracee& mem, const Event& e,
                                             const OutputFiles& out) {
  // The kernel backends' rule (rp_abi.h): a successful copy, not tee's.
  int dst = rp_copy_to_check(e.nr, e.ret);
  if (dst < 0 || e.ret > kMaxCopiedBytes) return std::nullopt;
  struct stat st;
  if (stat(fd_path(tid, "fd", e.args[dst]).c_str(), &st) != 0 || !out.is_output(st))
    return std::nullopt;
  bool sendfile = e.nr == SYS_sendfile;  // (out, in, &off); the others (in, &off_in, out, ...)
  uint64_t src = e.args[sendfile ? 1 : 0], off_ptr = e.args[sendfile ? 2 : 1];
  // Only a regular file is opened (opening a device may do something), and
  // checked again once open: another thread may have replaced the fd.
  std::string src_path = fd_path(tid, "fd", src);
  if (stat(src_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  unique_fd f(open(src_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!f || fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto end = offset_after(tid, mem, src, off_ptr);
  uint64_t n = static_cast<uint64_t>(e.ret);
  if (!end || *end < n) return std::nullopt;
  std::string bytes(n, '\0');
  if (pread(f.get(), bytes.data(), n, static_cast<off_t>(*end - n)) != static_cast<ssize_t>(n))
    return std::nullopt;
  return bytes;
}

}  // namespace rp
