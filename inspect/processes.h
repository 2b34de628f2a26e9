// The processes of a trace: ids, parent, exit and the program each ran.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trace.h"

namespace rp {

struct ProcessInfo {
  int32_t pid = 0, ppid = 0;
  std::optional<int64_t> exit_status;  // wait status; none if the trace ended first
  // The recorded command line for the traced command, the exec'd program's
  // path after a later execve (its argv is not recorded), or for a process
  // that never exec'd (forked) its parent's command.
  std::string command;
  bool forked = false;
  size_t threads = 1;  // its tasks over the whole trace, the leader included
};

// In the order the trace met them.
std::vector<ProcessInfo> trace_processes(TraceReader& r);

}  // namespace rp
