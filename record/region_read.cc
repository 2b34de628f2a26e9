#include "region_read.h"

namespace rp {

void read_output_regions(Tracee& tracee, const std::vector<Region>& regions,
                         std::vector<MemRecord>& mem, RegionLoss& loss) {
  for (const auto& r : regions) {
    std::string bytes = tracee.read(r.addr, r.len);
    if (bytes.empty() && r.len) loss.unreadable++;
    if (!bytes.empty() && bytes.size() < r.len) loss.short_reads++;
    if (!bytes.empty()) mem.push_back(MemRecord{r.addr, std::move(bytes), false});
  }
}

}  // namespace rp
