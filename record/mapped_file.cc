#include "mapped_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

using Extents = std::vector<std::pair<uint64_t, uint64_t>>;  // file offsets [from, to)

// The file's data in [from, to), holes shorter than kMappedHoleSkip merged
// in, a short hole at the start too (the first piece then starts at `from`);
// nullopt where the file cannot say (no SEEK_DATA: read it all).
std::optional<Extents> data_extents(int fd, uint64_t from, uint64_t to) {
  Extents out;
  uint64_t pos = from;
  while (pos < to) {
    off_t d = lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (d < 0) {
      if (errno == ENXIO) break;  // no data from pos on
      return std::nullopt;
    }
    if (static_cast<uint64_t>(d) >= to) break;
    off_t h = lseek(fd, d, SEEK_HOLE);
    uint64_t end = h < 0 ? to : std::min(static_cast<uint64_t>(h), to);
    uint64_t start = static_cast<uint64_t>(d);
    if (end <= start) return std::nullopt;  // the file changed meanwhile: read it all
    if (out.empty() && start - from < kMappedHoleSkip) start = from;
    if (!out.empty() && start - out.back().second < kMappedHoleSkip)
      out.back().second = end;
    else
      out.push_back({start, end});
    pos = end;
  }
  return out;
}

// The extents end where the mapping stops being readable (the page with the
// file's last byte): replay tells a mapping past the file's end by where its
// last piece ends, so a trailing hole gets a piece of its last byte.
void end_at_readable(Extents& e, uint64_t size, uint64_t from, uint64_t to) {
  uint64_t size_end = (size + 4095) & ~uint64_t{4095};
  uint64_t readable = std::min(to, size_end);
  if (readable <= from) return;
  if (!e.empty() && readable - e.back().second < kMappedHoleSkip)
    e.back().second = std::max(e.back().second, readable);
  else if (e.empty() || e.back().second < readable)
    e.push_back({readable - 1, readable});
}

}  // namespace

MappedFile read_mapped_file(Tracee& mem, pid_t tid, int fd, uint64_t addr, uint64_t len,
                            uint64_t file_off) {
  MappedFile m;
  len = (len + 4095) & ~uint64_t{4095};  // the mapping shows whole pages of the file
  std::string fdpath = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  m.path = proc_link(tid, "fd/" + std::to_string(fd));
  unique_fd file(open(fdpath.c_str(), O_RDONLY | O_CLOEXEC));
  std::optional<Extents> extents;
  // Only a regular file's extents: /dev/zero's lseek, say, ignores SEEK_DATA.
  struct stat st;
  if (file && fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    extents = data_extents(file.get(), file_off, file_off + len);
    if (extents) end_at_readable(*extents, static_cast<uint64_t>(st.st_size), file_off, file_off + len);
  }
  if (!extents) extents = Extents{{file_off, file_off + len}};
  for (const auto& [from, to] : *extents) {
    uint64_t at = addr + (from - file_off);
    std::string bytes = mem.read(at, to - from);
    if (!bytes.empty()) m.pieces.push_back(MemRecord{at, std::move(bytes), false});
  }
  return m;
}

}  // namespace rp
