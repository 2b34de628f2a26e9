// An mremap that grows or moves a range the recording's kernel held as one
// mapping while replay holds it as several. Replay turns a private file
// mapping into anonymous memory holding the recorded bytes, with its pages
// past the file's end mapped from a memfd (syscalls.cc, file_window): where
// the kernel merged two mappings of one file at consecutive offsets (an
// mmap MAP_FIXED over the start of an earlier one), replay's copies stay
// apart, and the kernel's mremap refuses a range over two of them (EFAULT).
// Replay then does the recorded call one mapping at a time: each moved to
// its place in the recorded destination, the last one grown.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "proc_maps.h"

namespace rp {

struct RemapStep {  // mremap(from, len, new_len, flags, to)
  uint64_t from = 0, len = 0, new_len = 0, flags = 0, to = 0;
};

// The steps that do mremap(addr, old_len, new_len, flags, ...) = result over
// the replay's mappings `maps`; nullopt where the call is not one these can
// do: a shrink (the kernel's own mremap does those over several mappings),
// MREMAP_DONTUNMAP, a range with a hole (the recording's would have failed
// too), or a move to a destination replay has mapped already.
std::optional<std::vector<RemapStep>> remap_in_pieces(const std::vector<ProcMap>& maps,
                                                      uint64_t addr, uint64_t old_len,
                                                      uint64_t new_len, uint64_t flags,
                                                      uint64_t result);

}  // namespace rp
