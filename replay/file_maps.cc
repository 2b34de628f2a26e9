#include "file_maps.h"

#include <algorithm>


namespace rp {
namespace {

uint64_t page_up(uint64_t v) { return (v + 4095) & ~uint64_t{4095}; }

}  // namespace

void FileMaps::on_file_mmap(uint64_t addr, uint64_t len, bool shared, uint64_t seq) {
  forget(addr, len);
  by_start_[addr] = Range{addr, addr + page_up(len), shared, seq, addr};
}

void FileMaps::forget(uint64_t addr, uint64_t len) {
  uint64_t end = addr + page_up(len);
  std::vector<Range> keep;
  for (auto it = by_start_.begin(); it != by_start_.end();) {
    const Range& r = it->second;
    if (r.end <= addr || r.start >= end) {
      ++it;
      continue;
    }
    if (r.start < addr) keep.push_back(Range{r.start, addr, r.shared, r.seq, r.map_start});
    if (r.end > end) keep.push_back(Range{end, r.end, r.shared, r.seq, r.map_start});
    it = by_start_.erase(it);
  }
  for (const auto& r : keep) by_start_[r.start] = r;
}

std::vector<FileMaps::Range> FileMaps::overlapping(uint64_t addr, uint64_t len) const {
  uint64_t end = addr + page_up(len);
  std::vector<Range> out;
  for (const auto& [start, r] : by_start_) {
    if (r.end <= addr || r.start >= end) continue;
    Range part = r;
    part.start = std::max(r.start, addr);
    part.end = std::min(r.end, end);
    out.push_back(part);
  }
  return out;
}

FileMaps::Saved FileMaps::save_shared(Tracee& mem, uint64_t addr, uint64_t len) const {
  Saved out;
  for (const auto& r : overlapping(addr, len))
    if (r.shared) out.emplace_back(r, mem.read(r.start, r.end - r.start));
  return out;
}

bool FileMaps::restore(Tracee& mem, uint64_t addr, uint64_t len, const Saved& saved,
                       TraceReader& trace) const {
  for (const auto& [r, bytes] : saved)
    if (!mem.write(r.start, bytes)) return false;
  for (const auto& r : overlapping(addr, len)) {
    if (r.shared) continue;
    Event m = trace.event_at(r.seq);
    for (const auto& rec : m.mem) {
      if (rec.input || rec.addr != r.map_start) continue;
      uint64_t from = r.start - r.map_start, to = r.end - r.map_start;
      if (from >= rec.bytes.size()) break;  // past the file's end: zeros, as now
      to = std::min<uint64_t>(to, rec.bytes.size());
      if (!mem.write(r.start, rec.bytes.substr(from, to - from))) return false;
    }
  }
  return true;
}

}  // namespace rp
