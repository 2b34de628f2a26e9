// `rp ps`: the processes of a trace, like rr ps: pid, parent, exit, threads, command.
#include <cstdio>

#include "inspect/inspect.h"
#include "inspect/processes.h"
#include "render.h"

namespace rp {
namespace {

// "0", "7", "SIGSEGV", "?" (the trace ended before it exited).
std::string exit_text(const std::optional<int64_t>& status) {
  if (!status) return "?";
  std::string t = render_wait_status(*status);
  const std::string exited = "exited with ", killed = "killed by ";
  if (t.rfind(exited, 0) == 0) return t.substr(exited.size());
  if (t.rfind(killed, 0) == 0) return t.substr(killed.size());
  return t;
}

}  // namespace

int ps_main(const std::string& path) {
  TraceReader r(path);
  printf("%-8s %-8s %-8s %-8s %s\n", "PID", "PPID", "EXIT", "THREADS", "CMD");
  for (const auto& p : trace_processes(r)) {
    std::string cmd = p.forked ? "(forked)" + (p.command.empty() ? "" : " " + p.command) : p.command;
    printf("%-8d %-8d %-8s %-8zu %s\n", p.pid, p.ppid, exit_text(p.exit_status).c_str(), p.threads,
           cmd.c_str());
  }
  return 0;
}

}  // namespace rp
