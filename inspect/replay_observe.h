// `rp dump`'s replay: -k's stacks and -e write=FD's data are both found by
// one replay of the trace that shows each thread, stopped at the entry of a
// recorded call, to observers (replayer.h's SyscallObserver).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "replayer.h"

namespace rp {

class TraceReader;

struct ReplayEnd {
  // Set when the replay diverged: the event it stopped at, and its report.
  std::optional<uint64_t> stopped_at;
  std::string divergence;
};

// Replays `trace` (opened for replay: validated, a cut trace allowed) and
// shows every observer each syscall entry; progress on a terminal is called
// `what`. A divergence is returned; anything else that stops the replay is
// thrown (Error).
ReplayEnd replay_observed(TraceReader& trace, const std::vector<SyscallObserver*>& observers,
                          const std::string& what);

}  // namespace rp
