// What replay starts the program with, read from a (validated) trace: the
// command line, environment, cwd, stack limit and the files of its private
// root. Separate from forking and exec so the fuzz target (tests/fuzz) can run
// the whole set-up on hostile traces without starting anything.
#pragma once
#include "launch.h"
#include "trace.h"

namespace rp {

// Throws rp::Error naming the trace if it cannot be replayed from.
LaunchSpec replay_launch_spec(TraceReader& trace);

}  // namespace rp
