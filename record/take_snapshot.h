// `rp record -p`: the snapshot of the attached process (common/snapshot.h),
// taken while every thread is held in a ptrace stop.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernel_copy.h"
#include "snapshot.h"
#include "trace.h"

namespace rp {

class CowCopy;  // record/cow_copy.h

// Given a snapshot's frozen copy's pid once it is held in its first stop: a
// kernel backend that captures the process's children stops capturing it
// (KernelProducer::forget_process). False: it could not; no copy then.
using ForgetCopy = std::function<bool(pid_t)>;

struct SnapshotStats {
  uint64_t mappings = 0;
  uint64_t bytes_read = 0;    // contents read from the process
  uint64_t bytes_stored = 0;  // of those, not zero pages (before compression)
  uint64_t unreadable_pages = 0;
  // How the private contents were read (meta snapshot_copy, rp info): "fork"
  // (from a frozen copy, after the pause: cow_copy.h) or "stopped: WHY"
  // (while the process was held, because WHY).
  std::string copy;
  SnapshotStats& operator+=(const SnapshotStats& o);
};

// The contents of every readable mapping of `maps` in process pid, in
// pieces of at most kSnapChunkBytes of consecutive pages, each given to
// `sink`; pages of zeros are left out (replay maps zeroed memory), pages
// that cannot be read (a file mapping past its file's end) are counted.
// `stop`: asked between pieces, true ends the reading early.
using ChunkSink = std::function<void(uint64_t addr, const std::string& bytes)>;
void read_contents(pid_t pid, const std::vector<SnapMap>& maps, SnapshotStats& st,
                   const ChunkSink& sink, const std::function<bool()>& stop = nullptr);

// Writes the snapshot of process tgid (threads `tids`, each stopped with its
// registers already restart-normalized, inject.h) into the trace. `insn`: a
// syscall instruction in the process, for the state only a syscall reveals
// (signal actions, brk, alternate stacks). `outputs`: rp's stdout and
// stderr (the files whose descriptors replay echoes). `tables`: a prefix of the
// snapshot tables' names (write_snapshot). Throws rp::Error.
// `cow` given: the private contents are left to a frozen copy of the process
// (*cow, reading into the side file `side_path` from now on, after the pause
// too); only what the copy does not share or lacks (MAP_SHARED,
// MADV_DONTFORK, MADV_WIPEONFORK) is read now. If the process cannot fork,
// *cow stays null and everything is read now (the stats' `copy` says why).
// `forget`: for CowCopy::fork, under a kernel backend.
SnapshotStats take_snapshot(TraceWriter& w, pid_t tgid, const std::vector<pid_t>& tids,
                            uint64_t insn, const OutputFiles& outputs,
                            const std::string& tables = "",
                            std::unique_ptr<CowCopy>* cow = nullptr,
                            const std::string& side_path = "",
                            const ForgetCopy& forget = nullptr);

}  // namespace rp
