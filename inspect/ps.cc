// `rp ps`: the processes of a trace, like rr ps: pid, parent, exit, command.
#include <sys/syscall.h>

#include <iostream>
#include <map>

#include "inspect/inspect.h"
#include "render.h"
#include "trace.h"

namespace rp {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

// "0", "7", "SIGSEGV", "?" (the trace ended before it exited).
std::string exit_text(const std::optional<int64_t>& status) {
  if (!status) return "?";
  std::string t = render_wait_status(*status);
  const std::string exited = "exited with ", killed = "killed by ";
  if (t.rfind(exited, 0) == 0) return t.substr(exited.size());
  if (t.rfind(killed, 0) == 0) return t.substr(killed.size());
  return t;
}

// The program each process last exec'd (the path its execve read); the
// recorded command line for the first one.
std::map<int32_t, std::string> exec_paths(TraceReader& r, const std::map<int32_t, int32_t>& tgid) {
  std::map<int32_t, std::string> out;
  Event e;
  r.rewind();
  bool first = true;
  while (r.next(e)) {
    if (e.kind != EventKind::kSyscall || (e.nr != SYS_execve && e.nr != SYS_execveat) || e.ret)
      continue;
    uint64_t path = e.nr == SYS_execve ? e.args[0] : e.args[1];
    auto it = tgid.find(e.tid);
    int32_t pid = it == tgid.end() ? e.tid : it->second;
    if (first) {
      first = false;
      out[pid] = join(r.list("argv"));
      continue;
    }
    for (const auto& m : e.mem)
      if (m.input && m.addr == path) out[pid] = m.bytes;  // later execs: argv is not recorded
  }
  return out;
}

}  // namespace

int ps_main(const std::string& path) {
  TraceReader r(path);
  auto tasks = r.tasks();
  std::map<int32_t, int32_t> tgid;
  for (const auto& t : tasks) tgid[t.tid] = t.tgid;
  auto cmds = exec_paths(r, tgid);
  std::map<int32_t, std::string> cmd_of;  // forked children run their parent's program
  printf("%-8s %-8s %-8s %s\n", "PID", "PPID", "EXIT", "CMD");
  for (const auto& t : tasks) {
    if (t.tid != t.tgid) continue;  // threads belong to their process's line
    auto pp = tgid.find(t.parent);
    int32_t ppid = pp == tgid.end() ? t.parent : pp->second;
    std::string cmd;
    if (auto c = cmds.find(t.tid); c != cmds.end()) cmd = c->second;
    else if (auto p = cmd_of.find(ppid); p != cmd_of.end()) cmd = "(forked) " + p->second;
    else cmd = "(forked)";
    cmd_of[t.tid] = cmd.rfind("(forked) ", 0) == 0 ? cmd.substr(9) : cmd;
    printf("%-8d %-8d %-8s %s\n", t.tid, ppid, exit_text(t.exit_status).c_str(), cmd.c_str());
  }
  return 0;
}

}  // namespace rp
