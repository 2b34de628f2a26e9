#include "remap_pieces.h"

#include <sys/mman.h>

namespace rp {

std::optional<std::vector<RemapStep>> remap_in_pieces(const std::vector<ProcMap>& maps,
                                                      uint64_t addr, uint64_t old_len,
                                                      uint64_t new_len, uint64_t flags,
                                                      uint64_t result) {
  constexpr uint64_t kPage = 4096;
  if (new_len < old_len || (flags & ~uint64_t{MREMAP_MAYMOVE | MREMAP_FIXED}) || old_len == 0 ||
      addr % kPage || old_len % kPage)
    return std::nullopt;
  const uint64_t end = addr + old_len;
  std::vector<RemapStep> steps;
  uint64_t at = addr;
  for (const ProcMap& m : maps) {
    if (m.end <= at || m.start >= end) continue;
    if (m.start > at) return std::nullopt;  // a hole
    const uint64_t to = m.end < end ? m.end : end;
    steps.push_back({at, to - at, to - at, MREMAP_MAYMOVE | MREMAP_FIXED, result + (at - addr)});
    at = to;
  }
  if (at != end || steps.size() < 2) return std::nullopt;
  steps.back().new_len += new_len - old_len;
  if (result == addr) {  // grown where it was: only the last one grows
    RemapStep last = steps.back();
    last.flags = 0;
    last.to = 0;
    return std::vector<RemapStep>{last};
  }
  if (!(flags & MREMAP_MAYMOVE)) return std::nullopt;  // moved, which it could not
  // MREMAP_FIXED replaces what is there: the destination must be free, as
  // it was when the recording's kernel chose it.
  for (const ProcMap& m : maps)
    if (m.start < result + new_len && m.end > result) return std::nullopt;
  return steps;
}

}  // namespace rp
