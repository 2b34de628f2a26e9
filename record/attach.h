// `rp record -p PID --backend=ptrace` (record/attach.cc).
#pragma once
#include "launch.h"
#include "record.h"
#include "trace.h"

namespace rp {

// Attaches, snapshots, records until the process exits (returns its exit
// code, as for a started program) or rp gets SIGINT/SIGTERM (detaches,
// returns 0). `write_environment` writes the metadata of a recording
// (record.cc) for the process's command line and environment.
int record_attach(const RecordOptions& opts,
                  void (*write_environment)(TraceWriter&, const LaunchSpec&));

}  // namespace rp
