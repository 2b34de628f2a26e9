// Replay turns file mappings into anonymous memory holding the recorded
// bytes, or into a window of its memfd (shared_files.h). For the anonymous
// ones two things differ from the kernel, and this class remembers which
// replayed ranges were file mappings (and of which file) to redo them:
// - madvise(MADV_DONTNEED): on a private file mapping the kernel drops the
//   program's changes and the file's bytes come back, on a shared one
//   nothing changes; on anonymous memory both read as zeros.
// - a write to the file at an explicit offset (pwrite, pwritev) shows in the
//   process's shared mappings of that file; the write is emulated in replay.
// A window behaves as the kernel does by itself: it is a file.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "trace.h"
#include "tracee.h"

namespace rp {

class FileMaps {
 public:
  struct Range {
    uint64_t start = 0, end = 0;
    bool shared = false;
    uint64_t seq = 0;        // the mmap event (its memory holds the file's bytes)
    uint64_t rec_addr = 0;   // where that event's record placed byte 0
    uint64_t map_start = 0;  // where byte 0 of the mapping is now (mremap moves it)
    uint64_t file = 0;       // OutputFds::object_id of the mapped file, 0: unknown
    uint64_t file_off = 0;   // the file offset of byte 0
    bool in_window = false;  // placed in the file's window (shared_files.h)
    uint64_t cut_at = UINT64_MAX;  // from here on mapped to raise SIGBUS (the file ended)
  };
  void on_file_mmap(uint64_t addr, uint64_t len, bool shared, uint64_t seq, uint64_t file = 0,
                    uint64_t file_off = 0, bool in_window = false);
  // munmap, a new mapping over it: no longer a file mapping.
  void forget(uint64_t addr, uint64_t len);
  // mremap from old to new_addr: the file ranges move along; a range that
  // ended at the old end grows with the mapping (further into its file).
  void on_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, uint64_t new_addr);
  // The parts of [addr, addr+len) that are file mappings.
  std::vector<Range> overlapping(uint64_t addr, uint64_t len) const;

  // Around a replayed madvise(addr, len, MADV_DONTNEED) by a thread:
  // before it, the current bytes of shared file ranges; after it, those are
  // written back and private file ranges get the file's recorded bytes
  // again. False if tracee memory could not be written.
  using Saved = std::vector<std::pair<Range, std::string>>;
  Saved save_shared(Tracee& mem, uint64_t addr, uint64_t len) const;
  bool restore(Tracee& mem, uint64_t addr, uint64_t len, const Saved& saved,
               TraceReader& trace) const;

  // `data` was written to `file` at offset `off`: the shared ranges of that
  // file show it (those in a window have it already). False if tracee memory
  // could not be written.
  bool write_file(Tracee& mem, uint64_t file, uint64_t off, const std::string& data) const;
  // `file` was truncated or grown to `len` bytes. The kernel makes a
  // mapping's pages past a file's end raise SIGBUS, private copies included,
  // and maps them to the file again once it has grown back over them: the
  // parts of window ranges to map so (`cut`), or back from the window.
  struct Remap {
    uint64_t start = 0, end = 0;
    bool cut = false;
    bool shared = false;
    uint64_t file_off = 0;  // the file offset at start
  };
  // `grow_only`: a write ended at `len`; the file may be longer.
  std::vector<Remap> on_truncate(uint64_t file, uint64_t len, bool grow_only = false);
  // Whether some shared range outside a window maps `file`.
  bool maps_shared(uint64_t file) const;

 private:
  std::map<uint64_t, Range> by_start_;
};

}  // namespace rp
