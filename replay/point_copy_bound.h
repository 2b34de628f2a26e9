// How long replay's uniqueness check of a switch point (point_unique.cc) may
// run its copy of the thread. One thread uses at most one CPU: from the
// switch to its next own stop the recording's thread ran no longer than the
// trace's wall time between them. The copy may need more (the trampoline's
// compare on every pass, a slower machine): up to kCopySlowdown times that,
// at least kCopyMinCpuSeconds. A spin-wait on other threads' writes, which
// the copy, running alone, never sees, then ends there instead of running
// the whole default bound at every such switch. (The times are the trace's,
// untrusted: a wrong one only shortens the check or leaves the default.)
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>

namespace rp {

constexpr double kCopySlowdown = 16;
constexpr double kCopyMinCpuSeconds = 0.1;

// The CPU seconds a copy run from a switch recorded at from_ns to the
// thread's next own stop recorded at stop_ns may take: `bound`, or less
// where the recording took less.
inline double copy_cpu_bound(double bound, std::optional<int64_t> from_ns,
                             std::optional<int64_t> stop_ns) {
  if (!from_ns || !stop_ns || *stop_ns < *from_ns) return bound;
  // Unsigned: the difference of any two int64s in order fits, none overflows.
  const uint64_t ns = static_cast<uint64_t>(*stop_ns) - static_cast<uint64_t>(*from_ns);
  const double recorded = static_cast<double>(ns) / 1e9;
  return std::min(bound, std::max(kCopyMinCpuSeconds, kCopySlowdown * recorded));
}

}  // namespace rp
