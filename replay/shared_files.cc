#include "shared_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "launch.h"

namespace rp {

static_assert(kWindowsEnd <= kPastEofFileSize / 2, "past-EOF tails sit above the windows");

bool SharedFiles::attach(pid_t root) {
  std::string path = "/proc/" + std::to_string(root) + "/fd/" + std::to_string(kPastEofFd);
  fd_.reset(open(path.c_str(), O_RDWR | O_CLOEXEC));
  return static_cast<bool>(fd_);
}

std::optional<uint64_t> SharedFiles::place(uint64_t object, uint64_t off, uint64_t len) {
  if (!fd_ || !object || off > kWindowSize || len > kWindowSize - off) return std::nullopt;
  auto w = window_of_.find(object);
  if (w == window_of_.end()) {
    uint64_t next = (window_of_.size() + 1) * kWindowSize;  // window 0 stays unused
    if (next + kWindowSize > kWindowsEnd) return std::nullopt;
    w = window_of_.emplace(object, next).first;
  }
  return w->second + off;
}

bool SharedFiles::write(uint64_t object, uint64_t off, const std::string& data) {
  auto w = window_of_.find(object);
  if (w == window_of_.end()) return true;
  if (off > kWindowSize || data.size() > kWindowSize - off) return false;
  for (size_t done = 0; done < data.size();) {
    ssize_t n = pwrite(fd_.get(), data.data() + done, data.size() - done,
                       static_cast<off_t>(w->second + off + done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool SharedFiles::truncate(uint64_t object, uint64_t len) { return zero(object, len, kWindowSize); }

bool SharedFiles::zero(uint64_t object, uint64_t off, uint64_t len) {
  auto w = window_of_.find(object);
  if (w == window_of_.end() || off >= kWindowSize || !len) return true;
  len = std::min(len, kWindowSize - off);
  return fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                   static_cast<off_t>(w->second + off), static_cast<off_t>(len)) == 0;
}

}  // namespace rp
