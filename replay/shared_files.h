// Replay has no files, yet the program's shared mappings of one file must
// show each other's writes and the writes made to the file (across
// processes, as the page cache does). Each file the program maps shared
// (replay/file_objects.h) gets a window of one memfd, the launcher's
// kPastEofFd (common/launch.h); replay maps that window where the recording
// mapped the file, and a write the program made to the file is written into
// the window. Windows sit below kWindowsEnd; the past-EOF tails above it.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "unique_fd.h"

namespace rp {

constexpr uint64_t kWindowSize = 1ULL << 36;  // file offsets a window holds
constexpr uint64_t kWindowsEnd = 1ULL << 46;

class SharedFiles {
 public:
  // Opens the memfd of the replayed program `root`; false if it has none.
  bool attach(pid_t root);
  // Where in the memfd bytes [off, off+len) of `object` are, giving it a
  // window on first use. None: no memfd, object 0, the range does not fit a
  // window, or all windows are taken (the mapping is then a private copy).
  std::optional<uint64_t> place(uint64_t object, uint64_t off, uint64_t len);
  // Whether `object` has a window.
  bool has(uint64_t object) const { return window_of_.count(object) != 0; }
  // Writes `data` at file offset `off` of object's window (true, nothing
  // done, if it has none).
  bool write(uint64_t object, uint64_t off, const std::string& data);
  // The file was truncated to `len`: its window reads zeros from there, as a
  // file grown again after it would.
  bool truncate(uint64_t object, uint64_t len);
  // Bytes [off, off+len) of the file read zeros (a hole punched, a range
  // zeroed); true, nothing done, if it has no window.
  bool zero(uint64_t object, uint64_t off, uint64_t len);

 private:
  unique_fd fd_;
  std::map<uint64_t, uint64_t> window_of_;  // object -> window offset in the memfd
};

}  // namespace rp
