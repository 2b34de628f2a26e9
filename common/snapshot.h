// A snapshot: the state of a running process at the moment `rp record -p`
// attached to it, everything replay needs to rebuild that process before it
// replays the events recorded after the attach (docs/design.md, "Attach:
// snapshot and restore"; tables in docs/trace-format.md).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "arch.h"

namespace rp {

class TraceWriter;
class TraceReader;

struct SnapMap {
  uint64_t addr = 0, size = 0;
  int64_t prot = 0;  // PROT_READ | PROT_WRITE | PROT_EXEC
  bool shared = false;
  uint64_t offset = 0;
  std::string path;  // as /proc/PID/maps shows it ("[heap]", "" for anonymous)
};

// One piece of a mapping's contents; pages of zeros are not stored.
struct SnapChunk {
  uint64_t addr = 0, size = 0;
  int64_t blob = 0;
};

struct SnapThread {
  int32_t tid = 0;
  std::string regs;      // the architecture's general registers (RawRegs), fs/gs base included
  std::string xstate;    // FP/SSE/AVX state as PTRACE_GETREGSET NT_X86_XSTATE gives it
  uint64_t sigmask = 0;  // blocked signals
  std::string altstack;  // a stack_t, empty if the thread had none
  // What the kernel uses when the thread exits (snapshot_thread_exit; absent
  // in traces of older rp): the set_tid_address word it clears and wakes
  // (pthread_join waits on it) and the robust futex list head (0: none).
  std::optional<uint64_t> clear_child_tid, robust_list;
};

struct SnapSigaction {
  int32_t sig = 0;
  std::string action;  // the kernel's struct sigaction (rt_sigaction's layout)
};

struct Snapshot {
  std::vector<SnapMap> maps;  // sorted by address, no overlap
  std::vector<SnapChunk> chunks;
  std::vector<SnapThread> threads;
  std::vector<SnapSigaction> sigactions;  // only the signals not at SIG_DFL
  // Process-wide values (kSnapshotKeys): brk, code/data/stack/args bounds, vDSO...
  std::map<std::string, int64_t> values;
  std::string auxv;  // the process's auxiliary vector, as /proc/PID/auxv
  // The working directory then (key cwd of the snapshot table), against
  // which replay resolves relative paths. None in traces of older rp, or
  // when it could not be read.
  std::optional<std::string> cwd;
  // RLIMIT_STACK's soft limit then (key stack_limit, -1: unlimited): how far
  // the stack may grow from here, which replay gives the restored process.
  // None in traces of older rp.
  std::optional<int64_t> stack_limit;
  // The descriptors that were rp's stdout (1) or stderr (2) then, by fd:
  // what replay echoes from the snapshot on (replay/output_fds.h). None in
  // traces of older rp, which did not say.
  std::optional<std::map<int, int>> output_fds;
};

// The keys of `values`, each an address in user space (or a count).
extern const char* const kSnapshotAddrKeys[];
extern const size_t kSnapshotAddrKeyCount;
constexpr uint64_t kSnapChunkBytes = 1u << 20;  // contents are stored in pieces of this size
constexpr size_t kMaxSnapMaps = 1u << 16;
constexpr size_t kMaxSnapThreads = 4096;
constexpr size_t kMaxXstateBytes = 64 * 1024;
constexpr size_t kMaxAuxvBytes = 4096;
constexpr size_t kSigactionBytes = 32;  // handler, flags, restorer, mask (x86_64, arm64)
constexpr size_t kStackTBytes = 24;     // stack_t
constexpr size_t kSnapshotRegsBytes = sizeof(RawRegs);
constexpr int64_t kMaxSnapFd = 1 << 20;  // above the kernel's nr_open default (1048576)

// Writing: creates the snapshot tables and writes everything but the
// contents, which go through write_snapshot_chunk afterwards as they are read
// (to keep a large process's memory out of rp's).
// `prefix` names other tables: the flight recorder (record/ring.h) writes
// its newest snapshot as next_snapshot*, moved to snapshot* once the one
// before it is dropped; only snapshot* is ever in a finished trace.
void write_snapshot(TraceWriter& w, const Snapshot& s, const std::string& prefix = "");
void write_snapshot_chunk(TraceWriter& w, uint64_t addr, const std::string& bytes,
                          const std::string& prefix = "");
// The snapshot tables' schema with their names prefixed.
std::string snapshot_schema_named(const std::string& prefix);

// Reading (a validated trace: TraceReader checked the tables on open).
bool has_snapshot(TraceReader& r);
Snapshot read_snapshot(TraceReader& r);
// The snapshot's stack limit (Snapshot::stack_limit) alone, for the launch
// of the replay; nullopt without a snapshot or the key. Throws on a value
// that is not -1 or a size.
std::optional<int64_t> snapshot_stack_limit(TraceReader& r);

// Every problem of the snapshot tables (rp check lists them; TraceReader
// refuses a trace with any). Empty if valid or if there is no snapshot.
std::vector<std::string> snapshot_problems(TraceReader& r);

}  // namespace rp
