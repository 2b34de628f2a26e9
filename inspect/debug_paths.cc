#include "inspect/debug_paths.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace rp {

std::optional<std::string> build_id_debug_path(const unsigned char* id, size_t len) {
  // GNU ld writes 20 bytes (sha1), 16 (md5, uuid) or 8 (lld's fast): anything
  // in between is plausible; the bytes are printed as hex, never used as text.
  if (!id || len < 2 || len > 64) return std::nullopt;
  static const char kHex[] = "0123456789abcdef";
  std::string path = ".build-id/";
  for (size_t i = 0; i < len; i++) {
    path += kHex[id[i] >> 4];
    path += kHex[id[i] & 0xf];
    if (i == 0) path += '/';
  }
  return path + ".debug";
}

std::optional<std::string> debuglink_debug_path(const std::string& module_path,
                                                const std::string& link) {
  if (link.empty() || link.size() > 255 || link == "." || link == ".." ||
      link.find('/') != std::string::npos || link.find('\0') != std::string::npos)
    return std::nullopt;
  if (module_path.empty() || module_path[0] != '/' ||
      module_path.find('\0') != std::string::npos)
    return std::nullopt;
  std::string dir = module_path.substr(1, module_path.rfind('/'));  // "DIR/" or ""
  for (size_t i = 0; i < dir.size();) {
    size_t end = dir.find('/', i);
    std::string part = dir.substr(i, end - i);
    if (part == "." || part == "..") return std::nullopt;
    i = end + 1;
  }
  return dir + link;
}

uint64_t debug_dir_resolve() { return RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS; }

int open_regular_beneath(int dir_fd, const std::string& rel, uint64_t resolve) {
  open_how how{};
  // O_NONBLOCK: opening a fifo must not wait for a writer (only regular
  // files are kept, on which it changes nothing).
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = resolve;
  int fd = static_cast<int>(syscall(SYS_openat2, dir_fd, rel.c_str(), &how, sizeof how));
  if (fd < 0) return -1;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace rp
