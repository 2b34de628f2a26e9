#include "replay_spec.h"

#include "error.h"
#include "snapshot.h"
#include "trace_check.h"

namespace rp {

LaunchSpec replay_launch_spec(TraceReader& trace) {
  LaunchSpec spec;
  spec.exe_path = trace.meta_or("exe_path", "");
  spec.argv = trace.list("argv");
  spec.envp = trace.list("env");
  spec.cwd = trace.meta_or("cwd", "");
  spec.stack_limit_cur = trace.meta_int("stack_limit", -1, -1, INT64_MAX);
  // A trace that starts at a snapshot: the limit then, not at the start
  // (the program may have set it in the events a --ring trace dropped).
  if (auto limit = snapshot_stack_limit(trace)) spec.stack_limit_cur = *limit;
  if (spec.exe_path.empty() || spec.argv.empty())
    throw Error(trace.path() + ": trace has no command line");
  for (const auto& f : trace.files())
    spec.root_files.push_back(ExecFile{f.path, trace.blob(f.blob), static_cast<int>(f.mode)});
  return spec;
}

}  // namespace rp
