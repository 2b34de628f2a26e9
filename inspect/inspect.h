// Reading a trace without replaying it: `rp dump`, `rp ps`, `rp timeline`.
#pragma once
#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace rp {

struct DumpOptions {
  std::string trace;
  bool data = false;          // every byte of every recorded buffer, in hex
  int tid = 0;                // only this thread (0: all)
  size_t string_limit = 32;   // strace -s
  std::vector<std::string> exprs;  // strace -e: trace=SET, read=FDS, write=FDS
  bool strace_lines = false;  // -f: "[pid N] call" lines, no event numbers
  bool json = false;          // one JSON object per event
  bool stacks = false;        // strace -k: each syscall's stack, found by a replay
  std::vector<std::string> debug_dirs;  // -k: where libraries' debug files are (gdb's debug-file-directory)
  int timestamps = 0;         // strace -t (1), -tt (2), -ttt (3): wall-clock time of each line
  bool relative = false;      // strace -r: time since the previous line
  bool durations = false;     // strace -T: <time spent in the call>
};
int dump_main(const DumpOptions& o);

class TraceReader;
// `rp info`'s switches line: the recorded thread switches in user code, and
// where that number comes from (the trace's meta, or its preempt events).
std::string switches_text(TraceReader& r);

// The snapshot of an attach recording (`rp record -p PID --backend=ptrace`),
// each "" for a trace without one: `rp info`'s "snapshot:" lines, and what
// `rp dump` prints before the first event (a paragraph: counts, mappings as
// /proc/PID/maps shows them, each thread's pc and sp; or one JSON object).
std::string snapshot_info_text(TraceReader& r);
std::string snapshot_dump_text(TraceReader& r);
std::string snapshot_json(TraceReader& r);

// `rp ls`: the traces (*.db) in a directory, one line each.
int ls_main(const std::string& dir);

// `rp ps`: one line per process: pid, ppid, exit, threads, command.
int ps_main(const std::string& trace);

// `rp timeline`: Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing).
int timeline_main(const std::string& trace, const std::string& output);

}  // namespace rp
