// Where the drain thread of a kernel capture puts raw ring records the writer
// has no room for yet (record/kernel_capture.cc). Fresh anonymous memory
// costs a page fault per 4 KiB on first touch, which on the VMs rp runs in
// made the drain copy at ~0.4 GB/s; appending to a file goes through the page
// cache at several GB/s, and the writer reads it back into a buffer it
// reuses (docs/performance.md, "The drain spills to a file").
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "raw_chunk.h"
#include "unique_fd.h"

namespace rp {

class SpillFile {
 public:
  // An unnamed file in `dir` (the trace's directory: the user chose that
  // disk for the trace). Without one (no directory, or neither O_TMPFILE
  // nor mkstemp works there), ok() is false and nothing is spilled.
  explicit SpillFile(const std::string& dir);
  // Whether append() may be tried. Drain thread only.
  bool ok() const { return fd_ && !full_; }
  // Appends n bytes; their offset, or none when the file cannot take them:
  // the caller keeps the bytes. The file never takes the last kRoomForTrace
  // bytes of its filesystem, which the trace beside it needs (without that a
  // spill could fill the disk and fail a recording that would have fit);
  // a write that fails all the same (a full disk) ends appending. Drain
  // thread only.
  std::optional<uint64_t> append(const char* bytes, size_t n);
  // Appends to `into` the n bytes at `off`, then frees them on disk. Writer
  // thread only. Throws rp::Error when they cannot be read back.
  void take(uint64_t off, size_t n, RawChunk& into);
  static constexpr uint64_t kRoomForTrace = uint64_t{64} << 20;

 private:
  unique_fd fd_;
  uint64_t end_ = 0;   // drain thread
  bool full_ = false;  // drain thread
};

}  // namespace rp
