#include "file_maps.h"

#include <algorithm>


namespace rp {
namespace {

uint64_t page_up(uint64_t v) { return (v + 4095) & ~uint64_t{4095}; }

}  // namespace

void FileMaps::on_file_mmap(uint64_t addr, uint64_t len, bool shared, uint64_t seq,
                            uint64_t file, uint64_t file_off, bool in_window) {
  forget(addr, len);
  by_start_[addr] =
      Range{addr, addr + page_up(len), shared, seq, addr, addr, file, file_off, in_window};
}

void FileMaps::on_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                         uint64_t new_addr) {
  uint64_t old_end = old_addr + page_up(old_len), new_end = new_addr + page_up(new_len);
  std::vector<Range> moved = overlapping(old_addr, old_len);
  forget(old_addr, old_len);
  for (Range r : moved) {
    bool last = r.end == old_end;
    if (r.cut_at != UINT64_MAX) r.cut_at = std::max(r.cut_at, r.start) - old_addr + new_addr;
    r.start = r.start - old_addr + new_addr;
    r.end = r.end - old_addr + new_addr;
    r.map_start = r.map_start - old_addr + new_addr;
    if (last || r.end > new_end) r.end = new_end;  // grown, or shrunk
    if (r.start < r.end) by_start_[r.start] = r;
  }
}

bool FileMaps::maps_shared(uint64_t file) const {
  for (const auto& [start, r] : by_start_)
    if (r.shared && !r.in_window && r.file == file) return true;
  return false;
}

bool FileMaps::write_file(Tracee& mem, uint64_t file, uint64_t off,
                          const std::string& data) const {
  if (!file) return true;
  for (const auto& [start, r] : by_start_) {
    if (!r.shared || r.in_window || r.file != file) continue;
    // The file offsets this range shows, and where they meet the write.
    uint64_t lo = r.file_off + (r.start - r.map_start), hi = lo + (r.end - r.start);
    uint64_t from = std::max(lo, off), to = std::min(hi, off + data.size());
    if (from >= to) continue;
    if (!mem.write(r.start + (from - lo), data.substr(from - off, to - from))) return false;
  }
  return true;
}

std::vector<FileMaps::Remap> FileMaps::on_truncate(uint64_t file, uint64_t len, bool grow_only) {
  std::vector<Remap> out;
  if (!file) return out;
  for (auto& [start, r] : by_start_) {
    if (!r.in_window || r.file != file) continue;
    uint64_t lo = r.file_off + (r.start - r.map_start);  // the file offset at r.start
    uint64_t eof = page_up(len);
    uint64_t now = eof <= lo ? r.start : std::min(r.end, r.start + (eof - lo));
    uint64_t was = std::clamp(r.cut_at, r.start, r.end);
    if (grow_only && now < was) continue;
    if (now != was) {
      uint64_t from = std::min(now, was), to = std::max(now, was);
      out.push_back(Remap{from, to, now < was, r.shared, lo + (from - r.start)});
    }
    r.cut_at = now;
  }
  return out;
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
    if (r.start < addr) {
      keep.push_back(r);
      keep.back().end = addr;
    }
    if (r.end > end) {
      keep.push_back(r);
      keep.back().start = end;
    }
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
    if (r.shared && !r.in_window)  // a window keeps its bytes
      out.emplace_back(r, mem.read(r.start, r.end - r.start));
  return out;
}

bool FileMaps::restore(Tracee& mem, uint64_t addr, uint64_t len, const Saved& saved,
                       TraceReader& trace) const {
  for (const auto& [r, bytes] : saved)
    if (!mem.write(r.start, bytes)) return false;
  for (const auto& r : overlapping(addr, len)) {
    if (r.shared || r.in_window) continue;  // a window's pages come back from the memfd
    Event m = trace.event_at(r.seq);
    for (const auto& rec : m.mem) {
      if (rec.input || rec.addr != r.rec_addr) continue;
      uint64_t from = r.start - r.map_start, to = r.end - r.map_start;
      if (from >= rec.bytes.size()) break;  // past the file's end: zeros, as now
      to = std::min<uint64_t>(to, rec.bytes.size());
      if (!mem.write(r.start, rec.bytes.substr(from, to - from))) return false;
    }
  }
  return true;
}

}  // namespace rp
