#include "snapshot.h"

#include <algorithm>
#include <set>

#include "error.h"
#include "sqlite.h"
#include "trace.h"
#include "trace_check.h"

namespace rp {

const char* const kSnapshotAddrKeys[] = {
    "start_code", "end_code",  "start_data", "end_data", "start_brk", "brk",
    "start_stack", "arg_start", "arg_end",   "env_start", "env_end",  "vdso",
};
const size_t kSnapshotAddrKeyCount = sizeof kSnapshotAddrKeys / sizeof kSnapshotAddrKeys[0];

namespace {

bool is_addr_key(const std::string& k) {
  for (size_t i = 0; i < kSnapshotAddrKeyCount; i++)
    if (k == kSnapshotAddrKeys[i]) return true;
  return false;
}

std::string num(uint64_t v) { return std::to_string(v); }
std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}

bool page_aligned(uint64_t v) { return (v & 4095) == 0; }

bool has_table(TraceReader& r, const char* name) {
  sql::Stmt st(r.db(), "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
  st.bind(1, name);
  st.step();
  return st.i64(0) > 0;
}

}  // namespace

std::string snapshot_schema_named(const std::string& prefix) {
  std::string out = snapshot_schema();
  const std::string table = "CREATE TABLE snapshot";
  for (size_t at = out.find(table); at != std::string::npos; at = out.find(table, at + 1))
    out.insert(at + table.size() - 8, prefix);
  return out;
}

void write_snapshot(TraceWriter& w, const Snapshot& s, const std::string& prefix) {
  sql::Db& db = w.db();
  db.exec(snapshot_schema_named(prefix).c_str());
  sql::Stmt kv(db, ("INSERT OR REPLACE INTO " + prefix + "snapshot VALUES(?,?)").c_str());
  for (const auto& [k, v] : s.values) kv.bind(1, k).bind(2, v).run();
  kv.bind(1, "auxv").bind_blob(2, s.auxv.data(), s.auxv.size()).run();
  if (s.cwd) kv.bind(1, "cwd").bind(2, *s.cwd).run();
  if (s.stack_limit) kv.bind(1, "stack_limit").bind(2, *s.stack_limit).run();
  sql::Stmt m(db, ("INSERT INTO " + prefix + "snapshot_maps VALUES(?,?,?,?,?,?)").c_str());
  for (const auto& x : s.maps)
    m.bind(1, static_cast<int64_t>(x.addr)).bind(2, static_cast<int64_t>(x.size)).bind(3, x.prot)
        .bind(4, x.shared ? 1 : 0).bind(5, static_cast<int64_t>(x.offset)).bind(6, x.path).run();
  sql::Stmt t(db, ("INSERT INTO " + prefix + "snapshot_threads VALUES(?,?,?,?,?)").c_str());
  for (const auto& x : s.threads)
    t.bind(1, x.tid).bind_blob(2, x.regs.data(), x.regs.size())
        .bind_blob(3, x.xstate.data(), x.xstate.size()).bind(4, static_cast<int64_t>(x.sigmask))
        .bind_blob(5, x.altstack.data(), x.altstack.size()).run();
  sql::Stmt e(db, ("INSERT INTO " + prefix + "snapshot_thread_exit VALUES(?,?,?)").c_str());
  for (const auto& x : s.threads) {
    e.bind(1, x.tid);
    auto opt = [&](int col, const std::optional<uint64_t>& v) {
      if (v) e.bind(col, static_cast<int64_t>(*v));
      else e.bind_null(col);
    };
    opt(2, x.clear_child_tid);
    opt(3, x.robust_list);
    e.run();
  }
  sql::Stmt a(db, ("INSERT INTO " + prefix + "snapshot_sigactions VALUES(?,?)").c_str());
  for (const auto& x : s.sigactions)
    a.bind(1, x.sig).bind_blob(2, x.action.data(), x.action.size()).run();
  sql::Stmt o(db, ("INSERT INTO " + prefix + "snapshot_output_fds VALUES(?,?)").c_str());
  for (const auto& [fd, target] : s.output_fds.value_or(std::map<int, int>{}))
    o.bind(1, fd).bind(2, target).run();
}

void write_snapshot_chunk(TraceWriter& w, uint64_t addr, const std::string& bytes,
                          const std::string& prefix) {
  int64_t id = w.put_blob(bytes);
  sql::Stmt st(w.db(), ("INSERT INTO " + prefix + "snapshot_mem VALUES(?,?,?)").c_str());
  st.bind(1, static_cast<int64_t>(addr)).bind(2, static_cast<int64_t>(bytes.size())).bind(3, id)
      .run();
}

bool has_snapshot(TraceReader& r) {
  return has_table(r, "snapshot") && r.count("snapshot_threads") > 0;
}

Snapshot read_snapshot(TraceReader& r) {
  Snapshot s;
  sql::Stmt kv(r.db(), "SELECT key, value FROM snapshot");
  while (kv.step()) {
    if (kv.text(0) == "auxv")
      s.auxv = kv.blob(1);
    else if (kv.text(0) == "cwd")
      s.cwd = kv.text(1);
    else if (kv.text(0) == "stack_limit")
      s.stack_limit = kv.i64(1);
    else
      s.values[kv.text(0)] = kv.i64(1);
  }
  sql::Stmt m(r.db(), "SELECT addr,size,prot,shared,offset,path FROM snapshot_maps ORDER BY addr");
  while (m.step())
    s.maps.push_back(SnapMap{static_cast<uint64_t>(m.i64(0)), static_cast<uint64_t>(m.i64(1)),
                             m.i64(2), m.i64(3) != 0, static_cast<uint64_t>(m.i64(4)), m.text(5)});
  sql::Stmt c(r.db(), "SELECT addr,size,blob FROM snapshot_mem ORDER BY addr");
  while (c.step())
    s.chunks.push_back(
        SnapChunk{static_cast<uint64_t>(c.i64(0)), static_cast<uint64_t>(c.i64(1)), c.i64(2)});
  sql::Stmt t(r.db(), "SELECT tid,regs,xstate,sigmask,altstack FROM snapshot_threads ORDER BY rowid");
  while (t.step())
    s.threads.push_back(SnapThread{static_cast<int32_t>(t.i64(0)), t.blob(1), t.blob(2),
                                   static_cast<uint64_t>(t.i64(3)), t.blob(4)});
  if (has_table(r, "snapshot_thread_exit")) {
    sql::Stmt e(r.db(), "SELECT tid, clear_child_tid, robust_list FROM snapshot_thread_exit");
    while (e.step())
      for (auto& x : s.threads) {
        if (x.tid != e.i64(0)) continue;
        if (!e.is_null(1)) x.clear_child_tid = static_cast<uint64_t>(e.i64(1));
        if (!e.is_null(2)) x.robust_list = static_cast<uint64_t>(e.i64(2));
      }
  }
  sql::Stmt a(r.db(), "SELECT sig, action FROM snapshot_sigactions ORDER BY sig");
  while (a.step()) s.sigactions.push_back(SnapSigaction{static_cast<int32_t>(a.i64(0)), a.blob(1)});
  if (has_table(r, "snapshot_output_fds")) {
    s.output_fds.emplace();
    sql::Stmt o(r.db(), "SELECT fd, target FROM snapshot_output_fds");
    while (o.step()) (*s.output_fds)[static_cast<int>(o.i64(0))] = static_cast<int>(o.i64(1));
  }
  return s;
}

namespace {

// The stack_limit key's problem (st's columns value_col and type_col hold its
// value and typeof(value)), empty if it is -1 or a size.
std::string stack_limit_problem(sql::Stmt& st, int value_col, int type_col) {
  if (st.text(type_col) == "integer" && st.i64(value_col) >= -1) return "";
  return "snapshot: stack_limit is not a size in bytes or -1";
}

}  // namespace

std::optional<int64_t> snapshot_stack_limit(TraceReader& r) {
  if (!has_snapshot(r)) return std::nullopt;
  sql::Stmt kv(r.db(), "SELECT value, typeof(value) FROM snapshot WHERE key = 'stack_limit'");
  if (!kv.step()) return std::nullopt;
  if (std::string why = stack_limit_problem(kv, 0, 1); !why.empty())
    throw Error(r.path() + ": " + why);
  return kv.i64(0);
}

// ---- validation: a trace is untrusted input ----

namespace {

// Every column of every snapshot table must be an integer where rp reads one.
std::string typed_problem(sql::Db& db, const char* table, const char* int_cols,
                          const char* blob_cols) {
  std::string q = std::string("SELECT count(*) FROM ") + table + " WHERE ";
  std::string cond;
  std::string cols = int_cols;
  for (size_t i = 0; i < cols.size();) {
    size_t j = cols.find(',', i);
    if (j == std::string::npos) j = cols.size();
    cond += (cond.empty() ? "" : " OR ") + std::string("typeof(") + cols.substr(i, j - i) +
            ") != 'integer'";
    i = j + 1;
  }
  std::string bcols = blob_cols;
  for (size_t i = 0; i < bcols.size();) {
    size_t j = bcols.find(',', i);
    if (j == std::string::npos) j = bcols.size();
    cond += " OR typeof(" + bcols.substr(i, j - i) + ") NOT IN ('blob','text')";
    i = j + 1;
  }
  q += cond;
  sql::Stmt st(db, q.c_str());
  st.step();
  if (st.i64(0) > 0) return std::string(table) + ": a row has a value of the wrong type";
  return "";
}

void check_values(TraceReader& r, std::vector<std::string>& out) {
  sql::Stmt kv(r.db(), "SELECT key, value, typeof(value) FROM snapshot");
  bool auxv = false;
  while (kv.step()) {
    std::string k = kv.text(0);
    if (k == "auxv") {
      auxv = true;
      std::string a = kv.blob(1);
      if (a.size() > kMaxAuxvBytes || a.size() % 16 != 0)
        out.push_back("snapshot: auxv of " + num(a.size()) + " bytes (a multiple of 16, at most " +
                      num(kMaxAuxvBytes) + ")");
    } else if (k == "cwd") {
      std::string why = kv.text(2) == "text" ? path_problem(kv.text(1)) : "not text";
      if (!why.empty()) out.push_back("snapshot: cwd: " + why);
    } else if (k == "stack_limit") {
      if (std::string why = stack_limit_problem(kv, 1, 2); !why.empty()) out.push_back(why);
    } else if (!is_addr_key(k)) {
      out.push_back("snapshot: unknown key '" + printable(k, 40) + "'");
    } else if (kv.text(2) != "integer" || kv.i64(1) < 0 ||
               static_cast<uint64_t>(kv.i64(1)) >= kUserAddrEnd) {
      out.push_back("snapshot: " + k + " is not a user-space address");
    }
  }
  if (!auxv) out.push_back("snapshot: no auxv");
}

void check_maps(TraceReader& r, std::vector<std::string>& out) {
  sql::Stmt m(r.db(), "SELECT addr,size,prot,shared,offset,path FROM snapshot_maps ORDER BY addr");
  uint64_t end = 0;
  size_t n = 0;
  while (m.step()) {
    std::string at = "snapshot_maps row at " + hex(static_cast<uint64_t>(m.i64(0))) + ": ";
    if (++n > kMaxSnapMaps) {
      out.push_back("snapshot_maps: more than " + num(kMaxSnapMaps) + " mappings");
      return;
    }
    auto addr = static_cast<uint64_t>(m.i64(0)), size = static_cast<uint64_t>(m.i64(1));
    if (m.i64(0) < 0 || m.i64(1) <= 0 || !page_aligned(addr) || !page_aligned(size) ||
        addr >= kUserAddrEnd || size > kUserAddrEnd - addr)
      out.push_back(at + "not a page-aligned range in user space");
    else if (addr < end)
      out.push_back(at + "overlaps the mapping before it");
    else
      end = addr + size;
    if (m.i64(2) < 0 || m.i64(2) > 7) out.push_back(at + "protection " + num(m.i64(2)));
    if (m.i64(3) != 0 && m.i64(3) != 1) out.push_back(at + "shared is neither 0 nor 1");
    if (m.i64(4) < 0 || !page_aligned(static_cast<uint64_t>(m.i64(4))))
      out.push_back(at + "offset not page-aligned");
    if (m.text(5).size() > kMaxPathLen) out.push_back(at + "path too long");
  }
}

void check_chunks(TraceReader& r, std::vector<std::string>& out) {
  // Each piece lies inside one readable mapping, after the previous piece,
  // and its blob holds exactly its size.
  sql::Stmt c(r.db(),
              "SELECT c.addr, c.size, b.size, "
              "(SELECT count(*) FROM snapshot_maps m WHERE m.addr <= c.addr AND "
              "c.addr + c.size <= m.addr + m.size) FROM snapshot_mem c "
              "LEFT JOIN blobs b ON b.id = c.blob ORDER BY c.addr");
  uint64_t end = 0;
  while (c.step()) {
    std::string at = "snapshot_mem row at " + hex(static_cast<uint64_t>(c.i64(0))) + ": ";
    auto addr = static_cast<uint64_t>(c.i64(0)), size = static_cast<uint64_t>(c.i64(1));
    if (c.i64(0) < 0 || c.i64(1) <= 0 || size > kSnapChunkBytes || addr >= kUserAddrEnd ||
        size > kUserAddrEnd - addr) {
      out.push_back(at + "not a range in user space of at most " + num(kSnapChunkBytes) + " bytes");
      continue;
    }
    if (addr < end) out.push_back(at + "overlaps the piece before it");
    end = addr + size;
    if (c.is_null(2))
      out.push_back(at + "refers to a missing blob");
    else if (c.i64(2) != c.i64(1))
      out.push_back(at + "its blob holds " + num(static_cast<uint64_t>(c.i64(2))) + " bytes");
    if (c.i64(3) != 1) out.push_back(at + "not inside one mapping");
  }
}

void check_threads(TraceReader& r, std::vector<std::string>& out, size_t regs_size) {
  sql::Stmt t(r.db(),
              "SELECT tid, length(regs), length(xstate), length(altstack), "
              "(SELECT count(*) FROM tasks k WHERE k.tid = s.tid) FROM snapshot_threads s");
  std::map<int64_t, int> seen;
  while (t.step()) {
    std::string at = "snapshot_threads row of tid " + num(static_cast<uint64_t>(t.i64(0))) + ": ";
    if (t.i64(0) < 1 || t.i64(0) > kMaxTid) out.push_back(at + "tid out of range");
    if (seen[t.i64(0)]++) out.push_back(at + "a second row for this thread");
    if (static_cast<size_t>(t.i64(1)) != regs_size)
      out.push_back(at + "registers of " + num(static_cast<uint64_t>(t.i64(1))) + " bytes, not " +
                    num(regs_size));
    if (t.i64(2) < 0 || static_cast<size_t>(t.i64(2)) > kMaxXstateBytes)
      out.push_back(at + "extended state larger than " + num(kMaxXstateBytes) + " bytes");
    if (t.i64(3) != 0 && static_cast<size_t>(t.i64(3)) != kStackTBytes)
      out.push_back(at + "alternate stack is not a stack_t");
    if (t.i64(4) == 0) out.push_back(at + "not in the tasks table");
  }
  if (seen.empty()) out.push_back("snapshot_threads: no thread");
  if (seen.size() > kMaxSnapThreads) out.push_back("snapshot_threads: too many threads");
}

// snapshot_thread_exit (absent in older traces): at most one row per thread
// of snapshot_threads; its addresses in user space or NULL (not known).
void check_thread_exit(TraceReader& r, std::vector<std::string>& out) {
  if (!has_table(r, "snapshot_thread_exit")) return;
  sql::Stmt e(r.db(),
              "SELECT tid, clear_child_tid, robust_list, typeof(tid), typeof(clear_child_tid), "
              "typeof(robust_list), (SELECT count(*) FROM snapshot_threads s WHERE s.tid = x.tid) "
              "FROM snapshot_thread_exit x");
  std::map<int64_t, int> seen;
  while (e.step()) {
    if (e.text(3) != "integer") {
      out.push_back("snapshot_thread_exit: a tid that is not an integer");
      continue;
    }
    std::string at = "snapshot_thread_exit row of tid " + num(static_cast<uint64_t>(e.i64(0))) + ": ";
    if (seen[e.i64(0)]++) out.push_back(at + "a second row for this thread");
    if (e.i64(6) != 1) out.push_back(at + "not a thread of snapshot_threads");
    for (int col : {1, 2}) {
      std::string type = e.text(col + 3);
      if (type == "null") continue;
      if (type != "integer" || e.i64(col) < 0 || static_cast<uint64_t>(e.i64(col)) >= kUserAddrEnd)
        out.push_back(at + (col == 1 ? "clear_child_tid" : "robust_list") +
                      " is not a user-space address");
    }
  }
}

// snapshot_output_fds (absent in older traces): descriptors a process can
// have, each once, each rp's stdout (1) or stderr (2).
void check_output_fds(TraceReader& r, std::vector<std::string>& out) {
  if (!has_table(r, "snapshot_output_fds")) return;
  sql::Stmt o(r.db(), "SELECT fd, target, typeof(fd), typeof(target) FROM snapshot_output_fds");
  std::set<int64_t> seen;
  while (o.step()) {
    if (o.text(2) != "integer" || o.text(3) != "integer") {
      out.push_back("snapshot_output_fds: a value that is not an integer");
      continue;
    }
    std::string at = "snapshot_output_fds row of fd " + std::to_string(o.i64(0)) + ": ";
    if (o.i64(0) < 0 || o.i64(0) >= kMaxSnapFd) out.push_back(at + "not a descriptor number");
    if (!seen.insert(o.i64(0)).second) out.push_back(at + "a second row");
    if (o.i64(1) != 1 && o.i64(1) != 2) out.push_back(at + "target is neither stdout (1) nor stderr (2)");
  }
}

void check_sigactions(TraceReader& r, std::vector<std::string>& out) {
  sql::Stmt a(r.db(), "SELECT sig, length(action) FROM snapshot_sigactions");
  std::map<int64_t, int> seen;
  while (a.step()) {
    std::string at = "snapshot_sigactions row of signal " + num(static_cast<uint64_t>(a.i64(0)));
    if (a.i64(0) < 1 || a.i64(0) > kMaxSignal || a.i64(0) == 9 || a.i64(0) == 19)
      out.push_back(at + ": not a signal whose action can be set");
    if (seen[a.i64(0)]++) out.push_back(at + ": a second row");
    if (static_cast<size_t>(a.i64(1)) != kSigactionBytes)
      out.push_back(at + ": action of " + num(static_cast<uint64_t>(a.i64(1))) + " bytes");
  }
}

}  // namespace

std::vector<std::string> snapshot_problems(TraceReader& r) {
  std::vector<std::string> out;
  sql::Db& db = r.db();
  for (auto [table, ints, blobs] :
       {std::tuple{"snapshot_maps", "addr,size,prot,shared,offset", ""},
        std::tuple{"snapshot_mem", "addr,size,blob", ""},
        std::tuple{"snapshot_threads", "tid,sigmask", "regs,xstate,altstack"},
        std::tuple{"snapshot_sigactions", "sig", "action"}}) {
    std::string why = typed_problem(db, table, ints, blobs);
    if (!why.empty()) out.push_back(why);
  }
  if (!out.empty()) return out;  // the checks below read these columns as integers
  check_values(r, out);
  check_maps(r, out);
  check_chunks(r, out);
  check_threads(r, out, kSnapshotRegsBytes);
  check_sigactions(r, out);
  check_thread_exit(r, out);
  check_output_fds(r, out);
  // Snapshots come from an attach or from the flight recorder (--ring).
  if (r.count("snapshot_threads") > 0 && r.meta_or("mode", "") != "attach" &&
      !r.meta("ring_bytes"))
    out.push_back("snapshot: the trace is neither an attach nor a --ring recording");
  return out;
}

}  // namespace rp
