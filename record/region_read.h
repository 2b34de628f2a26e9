// Reading a syscall's output regions from a stopped thread, for the ptrace
// backend and for the kernel backends' user-space completions: what cannot
// be read is counted, never dropped silently.
#pragma once
#include <cstdint>
#include <vector>

#include "buffers.h"
#include "trace.h"
#include "tracee.h"

namespace rp {

// What output regions lost when read from the stopped tracee.
struct RegionLoss {
  uint64_t unreadable = 0;   // regions of which not one byte could be read
  uint64_t short_reads = 0;  // regions read only in part
  uint64_t total() const { return unreadable + short_reads; }
  RegionLoss& operator+=(const RegionLoss& o) {
    unreadable += o.unreadable;
    short_reads += o.short_reads;
    return *this;
  }
};

// Appends what can be read of each region to mem (as syscall output) and
// counts into loss what cannot: the trace must say when it lacks bytes the
// kernel wrote, or replay would hand the program fewer of them unnoticed.
void read_output_regions(Tracee& tracee, const std::vector<Region>& regions,
                         std::vector<MemRecord>& mem, RegionLoss& loss);

}  // namespace rp
