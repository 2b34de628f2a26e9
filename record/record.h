// `rp record`: start a program, capture every syscall result into a trace.
#pragma once
#include <string>
#include <vector>

namespace rp {

struct RecordOptions {
  std::string output;              // empty: pick a new name in the current directory
  std::vector<std::string> argv;   // the program and its arguments
  std::string backend = "auto";    // auto | ptrace | bpf | kmod
  bool quiet = false;
  bool share = false;              // trace mode 0666 minus umask instead of 0600
  // Instead of a program: a running process (-p, replayable from a snapshot
  // taken at the attach) or every process with this command name (--name,
  // a kernel backend only; not replayable).
  int attach_pid = 0;
  std::string comm;
  // The flight recorder (record/ring.h), ptrace backend only: keep about the
  // last ring_bytes of events (0: everything); when the trace is kept.
  uint64_t ring_bytes = 0;
  std::string save_on;  // crash | exit | never (empty: crash)
  // End the recording when the program rp started exits (as rr record
  // without --wait): what it left running is killed (record/stop_signals.h).
  bool end_with_program = false;
};

// Returns the exit code for rp: the program's status (128+N if signal N
// killed it), 125 for rp's own failures, 127 if the program cannot be run.
int record_main(const RecordOptions& opts);

}  // namespace rp
