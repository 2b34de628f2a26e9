#include "spill_file.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "error.h"

namespace rp {

namespace {

// O_TMPFILE where the filesystem has it; else a named file removed at once.
int open_unnamed(const std::string& dir) {
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = dir + "/.rp-spill-XXXXXX";
  std::vector<char> path(name.begin(), name.end());
  path.push_back('\0');
  fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd >= 0) unlink(path.data());
  return fd;
}

}  // namespace

SpillFile::SpillFile(const std::string& dir) : fd_(dir.empty() ? -1 : open_unnamed(dir)) {}

std::optional<uint64_t> SpillFile::append(const char* bytes, size_t n) {
  if (!ok()) return std::nullopt;
  struct statvfs fs;
  if (fstatvfs(fd_.get(), &fs) != 0 ||
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < n + kRoomForTrace)
    return std::nullopt;  // asked again next time: the writer frees space as it reads
  uint64_t at = end_;
  for (size_t done = 0; done < n;) {
    ssize_t w = pwrite(fd_.get(), bytes + done, n - done, static_cast<off_t>(at + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      // A full disk: what was written of this piece is never read back.
      full_ = true;
      return std::nullopt;
    }
    done += static_cast<size_t>(w);
  }
  end_ += n;
  return at;
}

void SpillFile::take(uint64_t off, size_t n, RawChunk& into) {
  char* p = into.extend(n);
  for (size_t done = 0; done < n;) {
    ssize_t r = pread(fd_.get(), p + done, n - done, static_cast<off_t>(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno("reading back the recording's spill file");
    if (r == 0) throw Error("record: the recording's spill file is shorter than what was written to it");
    done += static_cast<size_t>(r);
  }
  // Best effort: a filesystem without holes keeps the space until the end
  // (the file has no name, so it goes when the recording ends).
  (void)fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
                  static_cast<off_t>(n));
}

}  // namespace rp
