// `rp timeline`: the trace as Chrome trace-event JSON, which ui.perfetto.dev
// and chrome://tracing open. One track per thread (grouped by process), a
// slice per syscall from its entry to its completion, instants for signals,
// preemptions (rp's thread switches), trapped instructions and exits.
//
// The trace records order, not wall time: the time axis is the global event
// sequence (one step = 1 µs on screen), so overlapping slices are calls that
// were in the kernel at the same time.
#include <cinttypes>
#include <fstream>
#include <map>
#include <set>

#include "decode/decode.h"
#include "error.h"
#include "inspect/inspect.h"
#include "inspect/json.h"
#include "inspect/processes.h"
#include "progress.h"
#include "render.h"
#include "trace.h"

namespace rp {
namespace {

std::string head(const char* ph, const std::string& name, int32_t pid, int32_t tid,
                 uint64_t ts) {
  char b[96];
  snprintf(b, sizeof b, ",\"ph\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%" PRIu64, ph, pid, tid, ts);
  return "{\"name\":" + json::str(name) + b;
}

std::string slice(const Event& e, int32_t pid) {
  auto c = decode::decode_call(e);
  uint64_t start = e.entry_seq && e.entry_seq < e.seq ? e.entry_seq : e.seq;
  std::string out = head("X", c.name, pid, e.tid, start);
  out += ",\"dur\":" + std::to_string(e.seq - start + 1) + ",\"cat\":\"syscall\",\"args\":{";
  out += "\"call\":" + json::str(decode::call_text(c)) + ",\"result\":" + json::str(c.ret);
  out += ",\"seq\":" + std::to_string(e.seq) + "}}";
  return out;
}

std::string instant(const Event& e, int32_t pid) {
  const char* cat = e.kind == EventKind::kSignal     ? "signal"
                    : e.kind == EventKind::kPreempt  ? "switch"
                    : e.kind == EventKind::kTaskExit ? "exit"
                                                     : "insn";
  std::string out = head("i", render_event_text(e), pid, e.tid, e.seq);
  return out + ",\"s\":\"t\",\"cat\":\"" + cat + "\",\"args\":{\"seq\":" + std::to_string(e.seq) +
         "}}";
}

// Track names: a process by its program, a thread by its id.
std::string names(TraceReader& r, const std::map<int32_t, int32_t>& tgid) {
  std::string out;
  for (const auto& p : trace_processes(r))
    out += ",\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" + std::to_string(p.pid) +
           ",\"args\":{\"name\":" + json::str(p.command + " (" + std::to_string(p.pid) + ")") + "}}";
  for (const auto& [tid, pid] : tgid)
    out += ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" + std::to_string(pid) +
           ",\"tid\":" + std::to_string(tid) + ",\"args\":{\"name\":\"thread " +
           std::to_string(tid) + "\"}}";
  return out;
}

}  // namespace

int timeline_main(const std::string& path, const std::string& output) {
  TraceReader r(path);
  std::map<int32_t, int32_t> tgid;
  for (const auto& t : r.tasks()) tgid[t.tid] = t.tgid;
  std::ofstream f(output, std::ios::trunc);
  if (!f) throw_errno("timeline: cannot write " + output);
  f << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"trace\":" << json::str(path)
    << ",\"time\":\"event sequence numbers, not wall time\"},\n\"traceEvents\":[\n";
  std::string meta = names(r, tgid);
  f << meta.substr(2);  // without the first ",\n" 
  Progress progress("timeline", static_cast<uint64_t>(r.count("events")));
  r.read_ahead(TraceReader::Ahead::kEvents);  // decoding the next events overlaps writing these
  Event e;
  for (uint64_t n = 1; r.next(e); n++) {
    auto it = tgid.find(e.tid);
    int32_t pid = it == tgid.end() ? e.tid : it->second;
    f << (meta.empty() && n == 1 ? "" : ",\n") << (e.kind == EventKind::kSyscall ? slice(e, pid) : instant(e, pid));
    progress.step(n);
  }
  f << "\n]}\n";
  f.close();
  if (!f) throw_errno("timeline: cannot write " + output);
  return 0;
}

}  // namespace rp
