// The processes of a trace and what each ran (rp ps, rp timeline).
#include "inspect/processes.h"

#include <sys/syscall.h>

namespace rp {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
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
    // The traced command's own execve started before tracing (no entry_seq):
    // its command line is in the trace's metadata.
    if (first && !e.entry_seq) {
      first = false;
      out[pid] = join(r.list("argv"));
      continue;
    }
    first = false;
    for (const auto& m : e.mem)
      if (m.input && m.addr == path) out[pid] = m.bytes;  // later execs: argv is not recorded
  }
  r.rewind();  // callers stream the events next
  return out;
}

}  // namespace

std::vector<ProcessInfo> trace_processes(TraceReader& r) {
  auto tasks = r.tasks();
  std::map<int32_t, int32_t> tgid;
  std::map<int32_t, size_t> threads;
  for (const auto& t : tasks) {
    tgid[t.tid] = t.tgid;
    threads[t.tgid]++;
  }
  auto cmds = exec_paths(r, tgid);
  std::map<int32_t, std::string> cmd_of;  // forked children run their parent's program
  std::vector<ProcessInfo> out;
  for (const auto& t : tasks) {
    if (t.tid != t.tgid) continue;  // threads belong to their process
    ProcessInfo p{t.tid, t.parent, t.exit_status, "", false, threads[t.tid]};
    if (auto pp = tgid.find(t.parent); pp != tgid.end()) p.ppid = pp->second;
    if (auto c = cmds.find(t.tid); c != cmds.end()) {
      p.command = c->second;
    } else {
      p.forked = true;
      if (auto c2 = cmd_of.find(p.ppid); c2 != cmd_of.end()) p.command = c2->second;
    }
    cmd_of[t.tid] = p.command;
    out.push_back(p);
  }
  return out;
}

}  // namespace rp
