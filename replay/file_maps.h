// Replay turns file mappings into anonymous memory holding the recorded
// bytes. madvise(MADV_DONTNEED) then differs: on a private file mapping the
// kernel drops the program's changes and the file's bytes come back, on a
// shared one nothing changes; on anonymous memory both read as zeros. This
// remembers which replayed ranges were file mappings, so that replay can
// give them back what the recorded run saw.
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
    uint64_t map_start = 0;  // where that mmap placed byte 0 of its recorded bytes
  };
  void on_file_mmap(uint64_t addr, uint64_t len, bool shared, uint64_t seq);
  // munmap, mremap's old range, a new mapping over it: no longer a file mapping.
  void forget(uint64_t addr, uint64_t len);
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

 private:
  std::map<uint64_t, Range> by_start_;
};

}  // namespace rp
