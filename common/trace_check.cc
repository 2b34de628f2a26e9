#include "trace_check.h"

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "cpuid_trap.h"
#include "error.h"
#include "fork_copy.h"
#include "insn.h"
#include "kernel_copy.h"
#include "snapshot.h"
#include "sqlite.h"

namespace rp {
namespace {

constexpr int64_t kI64Max = INT64_MAX;
constexpr int64_t kU32Max = 0xffffffffLL;
constexpr int64_t kWaitStatusMax = 0xffff;
// Problems listed for one kind of row before the rest are only counted.
constexpr size_t kMaxPerKind = 20;

std::string num(int64_t v) { return std::to_string(v); }

// A signal's or switch's extra: its registers (SignalExtra), then, since rp
// took it, the point's memory digest (32-bit sums in format version 3).
std::string point_extra_problem(const Event& e, const char* what) {
  const size_t size = e.extra.size();
  if (size == sizeof(SignalExtra) || size == sizeof(SignalExtra) + sizeof(NarrowPointDigest))
    return "";
  if (size != sizeof(SignalExtra) + sizeof(rp_point_digest))
    return std::string(what) + " record of " + num(static_cast<int64_t>(size)) + " bytes";
  const std::optional<rp_point_digest> d = point_digest(e);
  return d && d->narrow ? std::string(what) + " digest marked narrow" : "";
}

std::string octal(int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0%llo", static_cast<unsigned long long>(v));
  return b;
}

bool is_wait_status(int64_t v) { return v >= 0 && v <= kWaitStatusMax; }

// A list of problems that stops growing at kMaxPerKind per prefix and says
// how many were left out.
class Collector {
 public:
  void add(const std::string& kind, const std::string& what) {
    if (++seen_[kind] <= kMaxPerKind) out_.push_back(what);
  }
  std::vector<std::string> take() {
    for (const auto& [kind, n] : seen_)
      if (n > kMaxPerKind) out_.push_back(num(static_cast<int64_t>(n - kMaxPerKind)) +
                                          " more problems with " + kind);
    return std::move(out_);
  }

 private:
  std::vector<std::string> out_;
  std::map<std::string, size_t> seen_;
};

// The schema must be exactly the one this rp writes: then every query below
// reads real tables (not views or triggers a crafted file could define).
std::string schema_problem(sql::Db& db) {
  auto listing = [](sql::Db& d) {
    std::map<std::string, std::string> out;
    sql::Stmt st(d, "SELECT type, name, tbl_name, coalesce(sql,'') FROM sqlite_master");
    while (st.step()) out[st.text(1)] = st.text(0) + "|" + st.text(2) + "|" + st.text(3);
    return out;
  };
  static const auto want = [&] {
    sql::Db fresh(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY);
    fresh.exec(trace_schema());
    fresh.exec(snapshot_schema());
    return listing(fresh);
  }();
  auto got = listing(db);
  // Traces written before attach existed have no snapshot tables; a trace
  // has all of them or none.
  size_t snapshot_present = 0;
  for (const auto& [name, def] : want) {
    if (name.rfind("snapshot", 0) != 0) continue;
    snapshot_present += got.count(name);
  }
  bool optional_missing = snapshot_present == 0;
  for (const auto& [name, def] : want) {
    auto it = got.find(name);
    if (it == got.end() && optional_missing && name.rfind("snapshot", 0) == 0) continue;
    // Added after the other snapshot tables: older attach traces lack them.
    if (it == got.end() && (name == "snapshot_thread_exit" || name == "snapshot_output_fds"))
      continue;
    if (it == got.end()) return "schema: '" + name + "' is missing";
    if (name == "events" && it->second == "table|events|" + std::string(legacy_events_schema()))
      continue;  // version 1: no time columns (check_trace_header matches the version)
    if (it->second != def) return "schema: '" + name + "' is not defined as rp defines it";
  }
  for (const auto& [name, def] : got)
    if (!want.count(name)) return "schema: unexpected '" + printable(name, 60) + "'";
  return "";
}

struct MetaRange {
  const char* key;
  int64_t lo, hi;
};

// Every integer meta key rp reads or shows, with the values it may have.
const MetaRange kMetaRanges[] = {
    {"complete", 0, 1},           {"event_count", 0, kI64Max},
    {"duration_ms", 0, kI64Max},  {"finish_ms", 0, kI64Max},  {"uid", 0, kU32Max},
    {"gid", 0, kU32Max},          {"stack_limit", -1, kI64Max},
    {"exit_status", 0, kWaitStatusMax}, {"exit_code", 0, 255},
    {"unknown_syscalls", 0, kI64Max}, {"unknown_ioctls", 0, kI64Max},
    {"short_reads", 0, kI64Max},  {"lost_records", 0, kI64Max},
    {"kernel_records", 0, kI64Max}, {"kernel_bytes", 0, kI64Max},
    {"kernel_ring_full", 0, kI64Max}, {"kernel_copy_faults", 0, kI64Max},
    {"kernel_stalls", 0, kI64Max}, {"kernel_assisted", 0, kI64Max},
    {"kernel_data_missing", 0, kI64Max}, {"kernel_spilled_bytes", 0, kI64Max},
    {"kernel_wakeups", 0, kI64Max},
    {"replayable", 0, 1},
    {"attached_pid", 1, kMaxTid}, {"detached", 0, 1}, {"rdtsc_trapped", 0, 1},
    {"cpuid_trapped", 0, 1},      {"rdtsc_patched", 0, 1},
    {"snapshot_pause_us", 0, kI64Max}, {"snapshot_bytes_read", 0, kI64Max},
    {"snapshot_bytes_stored", 0, kI64Max}, {"snapshot_unreadable_pages", 0, kI64Max},
    {"switches", 0, kI64Max},     {"cpu", 0, 4095},
    {"ring_bytes", 1, kI64Max},   {"ring_snapshots", 0, kI64Max},
    {"ring_dropped_events", 0, kI64Max}, {"ring_max_file_bytes", 0, kI64Max},
    {"snapshot_seq", 0, kI64Max}, {"snapshot_time_ns", 0, kI64Max},
    {"saved_on_request", 0, 1},
    {"clock_realtime_ns", 0, kI64Max}, {"clock_monotonic_ns", 0, kI64Max},
};

// Counts a recorder may not have been able to make: "unknown" then.
bool may_be_unknown(const std::string& key) { return key == "lost_records"; }

void check_meta(TraceReader& r, Collector& c) {
  for (const auto& m : kMetaRanges) {
    if (may_be_unknown(m.key) && r.meta(m.key) == "unknown") continue;
    try {
      r.meta_int(m.key, 0, m.lo, m.hi);
    } catch (const Error& e) {
      std::string msg = e.what();
      c.add("meta", msg.substr(r.path().size() + 2));  // without the trace's name
    }
  }
  // Text is shown by rp info and in messages: no control bytes (terminal
  // escapes), except in the two paths, which a real file name may hold.
  sql::Stmt text(r.db(), "SELECT key, value FROM meta");
  while (text.step()) {
    std::string key = text.text(0), value = text.blob(1);
    if (value.size() > kMaxMetaText)
      c.add("meta", "meta " + printable(key, 40) + " is longer than " + num(kMaxMetaText) + " bytes");
    else if (key != "exe_path" && key != "cwd" && printable(value, value.size()) != value)
      c.add("meta", "meta " + printable(key, 40) + " holds control characters");
  }
  auto refused = r.meta("refused_calls");
  if (refused && !RefusedCalls::parse(*refused))
    c.add("meta", "meta refused_calls is not a list of refused calls and counts");
  auto exe = r.meta_or("exe_path", "");
  if (exe.size() > kMaxPathLen || exe.find('\0') != std::string::npos)
    c.add("meta", "meta exe_path is not a usable path");
  auto cwd = r.meta("cwd");
  if (cwd && !cwd->empty()) {
    std::string why = path_problem(*cwd);
    if (!why.empty()) c.add("meta", "meta cwd '" + printable(*cwd) + "': " + why);
  }
}

void check_lists(TraceReader& r, Collector& c) {
  sql::Stmt st(r.db(),
               "SELECT kind, count(*), sum(length(value)), sum(instr(value, x'00') > 0), "
               "sum(typeof(idx) != 'integer') FROM lists GROUP BY kind");
  uint64_t entries = 0, bytes = 0;
  while (st.step()) {
    std::string kind = printable(st.text(0), 40);
    entries += static_cast<uint64_t>(st.i64(1));
    bytes += static_cast<uint64_t>(st.i64(2));
    if (st.i64(3) > 0) c.add("lists", "lists " + kind + ": a value holds a NUL byte");
    if (st.i64(4) > 0) c.add("lists", "lists " + kind + ": an index is not an integer");
  }
  if (entries > kMaxListEntries || bytes > kMaxListBytes)
    c.add("lists", "lists: argv and env hold " + num(static_cast<int64_t>(entries)) +
                       " strings of " + num(static_cast<int64_t>(bytes)) + " bytes, over " +
                       num(kMaxListEntries) + " or " + num(kMaxListBytes));
}

void check_tasks(TraceReader& r, Collector& c) {
  try {
    r.tasks();
  } catch (const Error& e) {
    c.add("tasks", std::string(e.what()).substr(r.path().size() + 2));
  }
}

// Rows are checked one by one (the reader stops at the first bad one), then
// across rows: sizes add up, and no stored file sits under another one.
void check_files(TraceReader& r, Collector& c) {
  sql::Stmt st(r.db(),
               "SELECT f.path, f.blob, f.mode, b.size FROM files f "
               "LEFT JOIN blobs b ON b.id = f.blob ORDER BY f.path");
  std::set<std::string> paths;
  uint64_t total = 0;
  while (st.step()) {
    std::string shown = "files row '" + printable(st.text(0)) + "': ";
    if (!st.is_integer(1) || !st.is_integer(2)) {
      c.add("files", shown + "blob or mode is not an integer");
      continue;
    }
    StoredFile f{st.text(0), st.i64(1), st.i64(2)};
    std::string why = file_problem(f);
    if (!why.empty()) c.add("files", shown + why);
    if (st.is_null(3)) {
      c.add("files", shown + "refers to missing blob " + num(f.blob));
    } else if (!st.is_integer(3) || st.i64(3) < 0 ||
               static_cast<uint64_t>(st.i64(3)) > kMaxBytes) {
      c.add("files", shown + "size out of range");
    } else {
      total += static_cast<uint64_t>(st.i64(3));
    }
    if (why.empty()) paths.insert(f.path);
  }
  if (total > kMaxStoredFilesBytes)
    c.add("files", "files: " + num(static_cast<int64_t>(total)) + " bytes in all, over " +
                       num(static_cast<int64_t>(kMaxStoredFilesBytes)));
  for (const auto& p : paths)
    for (size_t i = p.find('/', 1); i != std::string::npos; i = p.find('/', i + 1))
      if (paths.count(p.substr(0, i)))
        c.add("files", "files row '" + printable(p) + "': '" + printable(p.substr(0, i)) +
                           "' is stored as a file, not a directory");
}

uint64_t snapshot_seq(TraceReader& r) {
  try {
    return static_cast<uint64_t>(r.meta_int("snapshot_seq", 0, 0, kI64Max));
  } catch (const Error&) {
    return 0;  // reported by check_meta
  }
}

void check_events(TraceReader& r, Collector& c) {
  Event e;
  bool first = true;
  std::set<std::string> errors;
  for (;;) {
    try {
      if (!r.next(e)) break;
    } catch (const Error& x) {
      // A bad row moves the cursor on (its message names the row); an error
      // of SQLite's own restarts the query, so a message seen before means
      // the scan went round: stop.
      if (!errors.insert(x.what()).second) break;
      c.add("events", std::string(x.what()).substr(r.path().size() + 2));
      continue;
    }
    if (first && r.meta_or("replayable", "1") != "0" && !has_snapshot(r) &&
        (e.kind != EventKind::kSyscall || e.ret != 0))
      c.add("events", "event " + num(static_cast<int64_t>(e.seq)) +
                          ": the first event is not the program's execve");
    // A flight recorder's snapshot stands for every event up to snapshot_seq.
    if (first && has_snapshot(r) && e.seq <= snapshot_seq(r))
      c.add("events", "event " + num(static_cast<int64_t>(e.seq)) +
                          ": comes before the snapshot (meta snapshot_seq " +
                          num(static_cast<int64_t>(snapshot_seq(r))) + ")");
    first = false;
  }
  try {
    int64_t want = r.meta_int("event_count", -1, 0, kI64Max);
    if (want >= 0 && want != r.count("events"))
      c.add("meta", "meta event_count is " + num(want) + ", the trace has " +
                        num(r.count("events")) + " events");
  } catch (const Error&) {
  }  // reported by check_meta
  sql::Stmt orphans(r.db(), "SELECT count(*) FROM mem WHERE seq NOT IN (SELECT seq FROM events)");
  orphans.step();
  if (orphans.i64(0) > 0)
    c.add("mem", "mem: " + num(orphans.i64(0)) + " records of events that do not exist");
}

void check_blobs(TraceReader& r, Collector& c) {
  sql::Stmt st(r.db(), "SELECT id FROM blobs ORDER BY id");
  // A damaged b-tree can hand the same rows out again and again (found by
  // the fuzzer): ids must keep growing, or the scan stops.
  std::optional<int64_t> last;
  while (st.step()) {
    int64_t id = st.i64(0);
    if (last && id <= *last) {
      c.add("blobs", "blobs: the table is damaged (row " + num(id) + " comes again)");
      break;
    }
    last = id;
    try {
      r.blob(id);
    } catch (const Error& e) {
      c.add("blobs", std::string(e.what()).substr(r.path().size() + 2));
    }
  }
}

void check_mappings(TraceReader& r, Collector& c) {
  try {
    for (const auto& m : r.mappings()) {
      sql::Stmt b(r.db(), "SELECT 1 FROM blobs WHERE id=?");
      b.bind(1, m.blob);
      if (m.blob && !b.step())
        c.add("mappings", "mappings: refers to missing blob " + num(m.blob));
    }
  } catch (const Error& e) {
    c.add("mappings", std::string(e.what()).substr(r.path().size() + 2));
  }
}

}  // namespace

std::string printable(std::string_view s, size_t max) {
  std::string out(s.substr(0, max));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string path_problem(std::string_view p) {
  if (p.empty()) return "empty path";
  if (p.size() > kMaxPathLen) return "path longer than " + num(kMaxPathLen) + " bytes";
  if (p.find('\0') != std::string_view::npos) return "path holds a NUL byte";
  if (p[0] != '/') return "not an absolute path";
  if (p == "/") return "";
  if (p.back() == '/') return "path ends with '/'";
  for (size_t i = 1, end; i <= p.size(); i = end + 1) {
    end = p.find('/', i);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(i, end - i);
    if (part.empty()) return "path has an empty component ('//')";
    if (part == ".") return "path has a '.' component";
    if (part == "..") return "path has a '..' component";
  }
  return "";
}

unsigned replay_file_mode(int64_t recorded_mode) {
  return (recorded_mode & 0100) ? 0500 : 0400;
}

// Times are shown by rp dump (-t, -T, -r): a negative one or an exit before
// its entry would print nonsense.
std::string times_problem(const Event& e) {
  if (e.t_entry && *e.t_entry < 0) return "t_entry " + num(*e.t_entry) + " is negative";
  if (e.t_exit && *e.t_exit < 0) return "t_exit " + num(*e.t_exit) + " is negative";
  if (e.t_entry && e.t_exit && *e.t_exit < *e.t_entry)
    return "t_exit " + num(*e.t_exit) + " is before t_entry " + num(*e.t_entry);
  return "";
}

std::string event_problem(const Event& e) {
  if (e.seq == 0 || e.seq > static_cast<uint64_t>(kI64Max)) return "seq out of range";
  if (e.tid < 1 || e.tid > kMaxTid) return "tid " + num(e.tid) + " out of range";
  if (e.entry_seq > static_cast<uint64_t>(kI64Max)) return "entry_seq out of range";
  std::string why = times_problem(e);
  if (!why.empty()) return why;
  switch (e.kind) {
    case EventKind::kSyscall:
      // Any number: a program may call syscall(-1); replay compares it, and
      // the table lookup is bounds-checked.
      if (auto copied = copied_bytes(e)) {  // kernel_copy.h
        if (kernel_copy_output_arg(e.nr) < 0) return "copied bytes on a call that copies none";
        if (e.ret <= 0 || static_cast<uint64_t>(e.ret) != copied->size())
          return "copied bytes of another size than the result";
        return "";
      }
      if (e.extra.starts_with(kForkCopyPrefix)) {  // fork_copy.h
        auto copy = fork_copy_seq(e);
        if (!copy) return "a fork's copy number is not a number";
        if (!fork_copies_memory(e.nr, e.args[0]))
          return "a copy number on a call that copies no memory";
        if (e.entry_seq == 0 || *copy <= e.entry_seq || *copy >= e.seq)
          return "a fork's copy number " + num(*copy) + " outside its call";
        return "";
      }
      if (made_by_rp(e) && !(e.nr == kArchPrctlNr && e.args[0] == kArchSetCpuid && e.args[1] == 0))
        return "a call marked as rp's that rp never makes";
      if (!e.extra.empty() && e.extra != kNoReturn && e.extra != kEmulatedByTracer &&
          !made_by_rp(e))
        return "unknown extra of a syscall";
      return "";
    case EventKind::kSignal:
      if (e.nr < 1 || e.nr > kMaxSignal) return "signal number " + num(e.nr) + " out of range";
      return point_extra_problem(e, "signal");
    case EventKind::kTaskExit:
      if (!is_wait_status(e.ret)) return "exit status " + num(e.ret) + " out of range";
      return e.extra.empty() ? "" : "extra on an exit event";
    case EventKind::kPreempt:
      return point_extra_problem(e, "switch");
    case EventKind::kInsn:
      if (e.nr < 1 || e.nr > kMaxTrappedInsn) return "unknown trapped instruction " + num(e.nr);
      if (e.nr >= static_cast<int64_t>(TrappedInsn::kCntvct) && e.args[2] > 31)
        return "counter read into register " + num(static_cast<int64_t>(e.args[2]));
      return e.extra.empty() ? "" : "extra on an insn event";
  }
  return "unknown kind";
}

std::string mem_problem(uint64_t addr, int64_t size) {
  if (size < 0 || static_cast<uint64_t>(size) > kMaxBytes)
    return "size " + num(size) + " out of range";
  if (addr >= kUserAddrEnd || static_cast<uint64_t>(size) > kUserAddrEnd - addr)
    return "address range not in user space";
  return "";
}

std::string file_problem(const StoredFile& f) {
  std::string why = path_problem(f.path);
  if (!why.empty()) return why;
  if (f.path == "/") return "the root is not a file";
  if (f.mode < 0 || (f.mode & ~kStoredModeMask) != 0)
    return "mode " + octal(f.mode) + " not allowed (setuid, setgid, sticky or writable by others)";
  if (f.blob <= 0) return "blob id out of range";
  return "";
}

std::string task_problem(const TaskInfo& t) {
  if (t.tid < 1 || t.tid > kMaxTid || t.tgid < 1 || t.tgid > kMaxTid) return "tid out of range";
  if (t.parent < 0 || t.parent > kMaxTid) return "parent out of range";
  if (t.first_seq > static_cast<uint64_t>(kI64Max)) return "first_seq out of range";
  if (t.exit_status && !is_wait_status(*t.exit_status)) return "exit_status out of range";
  return "";
}

std::string mapping_problem(const Mapping& m) {
  if (m.tid < 1 || m.tid > kMaxTid) return "tid out of range";
  std::string why = mem_problem(m.addr, static_cast<int64_t>(m.size));
  if (!why.empty()) return why;
  if (m.path.size() > kMaxPathLen) return "path too long";
  return m.blob < 0 ? "blob id out of range" : "";
}

std::vector<std::string> check_trace_header(TraceReader& r, bool* fatal) {
  if (fatal) *fatal = true;
  std::string why = schema_problem(r.db());
  if (!why.empty()) return {"not a usable rp trace (" + why + ")"};
  auto version = r.meta("format_version");
  if (!version) return {"not a usable rp trace (no format_version)"};
  bool old = *version == std::to_string(kTraceVersionNoTimes);
  if (*version != std::to_string(kTraceVersion) && !old &&
      *version != std::to_string(kTraceVersionNoRestarts) &&
      *version != std::to_string(kTraceVersionNarrowDigest) &&
      *version != std::to_string(kTraceVersionNoForkCopy) &&
      *version != std::to_string(kTraceVersionNoHeldFaults))
    return {"trace format version " + printable(*version, 40) + ", this rp reads versions " +
            std::to_string(kTraceVersionNoTimes) + " to " + std::to_string(kTraceVersion)};
  if (old == r.has_times())
    return {"not a usable rp trace (schema: 'events' does not match format version " +
            printable(*version, 40) + ")"};
  if (fatal) *fatal = false;
  Collector c;
  check_meta(r, c);
  if (r.meta_or("complete", "0") != "1")
    c.add("meta", "trace is incomplete (recording was cut short)");
  check_lists(r, c);
  check_tasks(r, c);
  check_files(r, c);
  if (has_snapshot(r) || (r.meta_or("mode", "") == "attach" && r.meta_or("replayable", "0") == "1"))
    for (auto& p : snapshot_problems(r)) c.add("snapshot", p);
  return c.take();
}

std::vector<std::string> check_trace_rows(TraceReader& r) {
  Collector c;
  r.rewind();
  check_events(r, c);
  check_blobs(r, c);
  check_mappings(r, c);
  r.rewind();
  return c.take();
}

std::vector<std::string> check_trace(const std::string& path, bool* fatal) {
  TraceReader r(path, false);
  bool header_fatal = false;
  auto problems = check_trace_header(r, &header_fatal);
  if (fatal) *fatal = header_fatal;
  if (header_fatal) return problems;
  for (auto& p : r.structure_problems()) problems.push_back(std::move(p));
  for (auto& p : check_trace_rows(r)) problems.push_back(std::move(p));
  return problems;
}

}  // namespace rp
