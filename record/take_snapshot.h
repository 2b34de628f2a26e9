// `rp record -p`: the snapshot of the attached process (common/snapshot.h),
// taken while every thread is held in a ptrace stop.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trace.h"

namespace rp {

struct SnapshotStats {
  uint64_t mappings = 0;
  uint64_t bytes_read = 0;    // contents read from the process
  uint64_t bytes_stored = 0;  // of those, not zero pages (before compression)
  uint64_t unreadable_pages = 0;
};

// Writes the snapshot of process tgid (threads `tids`, each stopped with its
// registers already restart-normalized, inject.h) into the trace. `insn`: a
// syscall instruction in the process, for the state only a syscall reveals
// (signal actions, brk, alternate stacks). `tables`: a prefix of the
// snapshot tables' names (write_snapshot). Throws rp::Error.
SnapshotStats take_snapshot(TraceWriter& w, pid_t tgid, const std::vector<pid_t>& tids,
                            uint64_t insn, const std::string& tables = "");

}  // namespace rp
