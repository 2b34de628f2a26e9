#include "trace.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <cstring>

#include "blob.h"
#include "error.h"
#include "read_ahead.h"
#include "syscall_table.h"
#include "trace_check.h"
#include "trace_recover.h"

namespace rp {
namespace {

// Bytes up to this size stay inline in mem.data; larger ones become
// compressed, deduplicated blobs.
constexpr size_t kInlineMax = 512;
// Events per transaction: large enough that commits do not show in the profile.
constexpr uint64_t kEventsPerCommit = 20000;
// ... or after this many bytes of data (pages held in memory until then).
constexpr uint64_t kBytesPerCommit = 32 << 20;

const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE lists(kind TEXT NOT NULL, idx INTEGER NOT NULL, value BLOB NOT NULL,
                   PRIMARY KEY(kind, idx)) WITHOUT ROWID;
CREATE TABLE tasks(tid INTEGER NOT NULL, tgid INTEGER NOT NULL, parent INTEGER NOT NULL,
                   first_seq INTEGER NOT NULL, exit_status INTEGER);
CREATE TABLE events(seq INTEGER PRIMARY KEY, tid INTEGER NOT NULL, kind INTEGER NOT NULL,
                    nr INTEGER, a0 INTEGER, a1 INTEGER, a2 INTEGER, a3 INTEGER, a4 INTEGER,
                    a5 INTEGER, ret INTEGER, in_hash INTEGER, extra BLOB, entry_seq INTEGER,
                    t_entry INTEGER, t_exit INTEGER);
CREATE INDEX events_entry ON events(entry_seq) WHERE entry_seq IS NOT NULL;
CREATE TABLE mem(seq INTEGER NOT NULL, addr INTEGER NOT NULL, size INTEGER NOT NULL,
                 input INTEGER NOT NULL DEFAULT 0, data BLOB, blob INTEGER);
CREATE INDEX mem_seq ON mem(seq);
CREATE TABLE blobs(id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, size INTEGER NOT NULL,
                   codec TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE mappings(seq INTEGER NOT NULL, tid INTEGER NOT NULL, addr INTEGER NOT NULL,
                      size INTEGER NOT NULL, prot INTEGER, flags INTEGER, offset INTEGER,
                      path TEXT, blob INTEGER);
CREATE TABLE files(path TEXT PRIMARY KEY, blob INTEGER NOT NULL, mode INTEGER NOT NULL);
CREATE TABLE event_kinds(kind INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE syscall_names(nr INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE VIEW listing AS
  SELECT e.seq, e.tid, k.name AS kind,
         CASE e.kind WHEN 1 THEN coalesce(s.name, 'syscall_' || e.nr) ELSE e.nr END AS what,
         e.a0, e.a1, e.a2, e.a3, e.a4, e.a5, e.ret,
         (SELECT count(*) FROM mem m WHERE m.seq = e.seq) AS buffers
  FROM events e JOIN event_kinds k ON k.kind = e.kind
  LEFT JOIN syscall_names s ON s.nr = e.nr AND e.kind = 1;
)sql";

// The events table as version 1 (before times) created it.
const char* kLegacyEvents = R"sql(CREATE TABLE events(seq INTEGER PRIMARY KEY, tid INTEGER NOT NULL, kind INTEGER NOT NULL,
                    nr INTEGER, a0 INTEGER, a1 INTEGER, a2 INTEGER, a3 INTEGER, a4 INTEGER,
                    a5 INTEGER, ret INTEGER, in_hash INTEGER, extra BLOB, entry_seq INTEGER))sql";

// Only in attach recordings (snapshot.h): created with the snapshot, so
// that other traces do not carry six empty tables (a 64 KiB page each).
const char* kSnapshotSchema = R"sql(
CREATE TABLE snapshot(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE snapshot_maps(addr INTEGER NOT NULL, size INTEGER NOT NULL, prot INTEGER NOT NULL,
                           shared INTEGER NOT NULL, offset INTEGER NOT NULL, path TEXT NOT NULL);
CREATE TABLE snapshot_mem(addr INTEGER NOT NULL, size INTEGER NOT NULL, blob INTEGER NOT NULL);
CREATE TABLE snapshot_threads(tid INTEGER NOT NULL, regs BLOB NOT NULL, xstate BLOB NOT NULL,
                              sigmask INTEGER NOT NULL, altstack BLOB NOT NULL);
CREATE TABLE snapshot_sigactions(sig INTEGER NOT NULL, action BLOB NOT NULL);
CREATE TABLE snapshot_thread_exit(tid INTEGER NOT NULL, clear_child_tid INTEGER,
                                  robust_list INTEGER);
CREATE TABLE snapshot_output_fds(fd INTEGER NOT NULL, target INTEGER NOT NULL);
)sql";

}  // namespace

int64_t clock_ns(clockid_t clock) {
  struct timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

const char* trace_schema() { return kSchema; }
const char* legacy_events_schema() { return kLegacyEvents; }
const char* snapshot_schema() { return kSnapshotSchema; }

const char* event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::kSyscall: return "syscall";
    case EventKind::kSignal: return "signal";
    case EventKind::kTaskExit: return "exit";
    case EventKind::kPreempt: return "preempt";
    case EventKind::kInsn: return "insn";
  }
  return "?";
}

TraceWriter::TraceWriter(const std::string& path) {
  // An empty regular file is used as it is: rp record creates it 0600 first.
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0) {
    ::unlink(path.c_str());
    ::unlink((path + "-journal").c_str());
  }
  // NOMUTEX: SQLite takes no lock of its own in every bind and step (a fifth
  // of the kernel capture's writer thread). The threads that share a writer
  // serialize their use of it already, as its prepared statements require
  // (record/kernel_capture.h, writer_mu_).
  db_ = std::make_unique<sql::Db>(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                            SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX);
  // A recorder killed at any moment must leave a trace cut short, readable up
  // to its last COMMIT (replay runs it up to there). No cache spill: a
  // transaction's pages reach the file only at its COMMIT, so a kill between
  // commits leaves the file as of the last one. A kill during a COMMIT's page
  // writes tears the file; the rollback journal on disk (TRACE-journal, gone
  // once the COMMIT is done) then holds the pages the transaction changed,
  // and the reader rolls a private copy back with it (trace_recover.h).
  // Appended pages are not journaled, so the journal stays small. No fsync
  // (synchronous=OFF): this is about the recorder dying, not the machine,
  // and a failed recording is redone anyway.
  db_->exec("PRAGMA page_size=65536; PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; "
            "PRAGMA cache_spill=OFF;");
  // The schema in the first transaction: a recorder killed at its start
  // leaves an empty file or a whole schema, never a part of one.
  db_->exec("BEGIN");
  db_->exec(kSchema);
  {
    sql::Stmt k(*db_, "INSERT INTO event_kinds VALUES(?,?)");
    for (auto kind : {EventKind::kSyscall, EventKind::kSignal, EventKind::kTaskExit,
                      EventKind::kPreempt, EventKind::kInsn})
      k.bind(1, static_cast<int64_t>(kind)).bind(2, event_kind_name(kind)).run();
    sql::Stmt s(*db_, "INSERT OR IGNORE INTO syscall_names VALUES(?,?)");
    for (auto p = syscall_specs_begin(); p != syscall_specs_end(); ++p)
      if (syscall_nr(*p) >= 0) s.bind(1, syscall_nr(*p)).bind(2, p->name).run();
  }
  ins_event_ = std::make_unique<sql::Stmt>(
      *db_, "INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  ins_mem_ = std::make_unique<sql::Stmt>(*db_, "INSERT INTO mem VALUES(?,?,?,?,?,?)");
  ins_blob_ = std::make_unique<sql::Stmt>(
      *db_, "INSERT INTO blobs(hash,size,codec,data) VALUES(?,?,'zstd',?)");
  find_blob_ = std::make_unique<sql::Stmt>(*db_, "SELECT id FROM blobs WHERE hash=?");
  ins_map_ = std::make_unique<sql::Stmt>(*db_, "INSERT INTO mappings VALUES(?,?,?,?,?,?,?,?,?)");
  ins_task_ = std::make_unique<sql::Stmt>(*db_, "INSERT INTO tasks VALUES(?,?,?,?,NULL)");
  upd_task_ = std::make_unique<sql::Stmt>(
      *db_,
      "UPDATE tasks SET exit_status=? WHERE rowid=(SELECT max(rowid) FROM tasks WHERE tid=?)");
  ins_meta_ = std::make_unique<sql::Stmt>(*db_, "INSERT OR REPLACE INTO meta VALUES(?,?)");
  set_meta("format_version", kTraceVersion);
  set_meta("complete", 0);
  // One pair read together, so rp dump can turn CLOCK_MONOTONIC event times
  // into wall-clock times (-t, -tt, -ttt).
  set_meta("clock_realtime_ns", clock_ns(CLOCK_REALTIME));
  set_meta("clock_monotonic_ns", clock_ns(CLOCK_MONOTONIC));
}

TraceWriter::~TraceWriter() {
  if (!finished_ && db_) {
    try {
      db_->exec("COMMIT");
    } catch (...) {
    }
  }
}

void TraceWriter::set_meta(const std::string& key, const std::string& value) {
  ins_meta_->bind(1, key).bind(2, value).run();
}
void TraceWriter::set_meta(const std::string& key, int64_t value) {
  ins_meta_->bind(1, key).bind(2, value).run();
}

void TraceWriter::set_list(const std::string& kind, const std::vector<std::string>& values) {
  sql::Stmt d(*db_, "DELETE FROM lists WHERE kind=?");
  d.bind(1, kind).run();
  sql::Stmt st(*db_, "INSERT INTO lists VALUES(?,?,?)");
  for (size_t i = 0; i < values.size(); i++)
    st.bind(1, kind).bind(2, static_cast<int64_t>(i)).bind_blob(3, values[i].data(),
                                                                   values[i].size()).run();
}

void TraceWriter::add_list_item(const std::string& kind, const std::string& value) {
  sql::Stmt st(*db_, "INSERT INTO lists VALUES(?,?,?)");
  st.bind(1, kind).bind(2, list_next_[kind]++).bind_blob(3, value.data(), value.size()).run();
}

int64_t TraceWriter::put_blob(const std::string& bytes) {
  std::string h = hash128(bytes);
  find_blob_->bind_blob(1, h.data(), h.size());
  if (find_blob_->step()) {
    int64_t id = find_blob_->i64(0);
    find_blob_->reset();
    return id;
  }
  find_blob_->reset();
  std::string packed = zstd_compress(bytes);
  bytes_since_commit_ += packed.size();
  ins_blob_->bind_blob(1, h.data(), h.size())
      .bind(2, static_cast<int64_t>(bytes.size()))
      .bind_blob(3, packed.data(), packed.size())
      .run();
  return db_->last_rowid();
}

void TraceWriter::add_event(const Event& e) {
  if (e.kind == EventKind::kSyscall) refused_.count(e.nr, e.ret);
  auto& st = *ins_event_;
  st.bind(1, static_cast<int64_t>(e.seq))
      .bind(2, e.tid)
      .bind(3, static_cast<int64_t>(e.kind))
      .bind(4, e.nr);
  for (int i = 0; i < 6; i++) st.bind(5 + i, static_cast<int64_t>(e.args[i]));
  st.bind(11, e.ret);
  if (e.in_hash)
    st.bind(12, static_cast<int64_t>(*e.in_hash));
  else
    st.bind_null(12);
  if (e.extra.empty())
    st.bind_null(13);
  else
    st.bind_blob(13, e.extra.data(), e.extra.size());
  if (e.entry_seq)
    st.bind(14, static_cast<int64_t>(e.entry_seq));
  else
    st.bind_null(14);
  if (e.t_entry)
    st.bind(15, *e.t_entry);
  else
    st.bind_null(15);
  if (e.t_exit)
    st.bind(16, *e.t_exit);
  else
    st.bind_null(16);
  st.run();
  for (const auto& m : e.mem) {
    auto& ms = *ins_mem_;
    ms.bind(1, static_cast<int64_t>(e.seq))
        .bind(2, static_cast<int64_t>(m.addr))
        .bind(3, static_cast<int64_t>(m.bytes.size()))
        .bind(4, m.input ? 1 : 0);
    if (m.bytes.size() <= kInlineMax) {
      bytes_since_commit_ += m.bytes.size();
      ms.bind_blob(5, m.bytes.data(), m.bytes.size()).bind_null(6);
    } else {
      int64_t id = put_blob(m.bytes);
      ms.bind_null(5).bind(6, id);
    }
    ms.run();
  }
  events_++;
  maybe_commit();
}

void TraceWriter::add_mapping(const Mapping& m) {
  ins_map_->bind(1, static_cast<int64_t>(m.seq))
      .bind(2, m.tid)
      .bind(3, static_cast<int64_t>(m.addr))
      .bind(4, static_cast<int64_t>(m.size))
      .bind(5, m.prot)
      .bind(6, m.flags)
      .bind(7, static_cast<int64_t>(m.offset))
      .bind(8, m.path);
  if (m.blob)
    ins_map_->bind(9, m.blob);
  else
    ins_map_->bind_null(9);
  ins_map_->run();
}

void TraceWriter::add_task(const TaskInfo& t) {
  ins_task_->bind(1, t.tid).bind(2, t.tgid).bind(3, t.parent)
      .bind(4, static_cast<int64_t>(t.first_seq)).run();
}

void TraceWriter::set_task_exit(int32_t tid, int64_t status) {
  upd_task_->bind(1, status).bind(2, tid).run();
}

void TraceWriter::set_task_parent(int32_t tid, int32_t parent) {
  sql::Stmt st(*db_,
               "UPDATE tasks SET parent=? WHERE rowid=(SELECT max(rowid) FROM tasks WHERE tid=?)");
  st.bind(1, parent).bind(2, tid).run();
}

void TraceWriter::add_file(const std::string& path, const std::string& bytes, int64_t mode) {
  if (!files_.insert(path).second) return;
  int64_t id = put_blob(bytes);
  sql::Stmt st(*db_, "INSERT OR IGNORE INTO files VALUES(?,?,?)");
  st.bind(1, path).bind(2, id).bind(3, mode).run();
}

void TraceWriter::maybe_commit() {
  if (++since_commit_ < kEventsPerCommit && bytes_since_commit_ < kBytesPerCommit) return;
  checkpoint();
}

void TraceWriter::checkpoint() {
  since_commit_ = bytes_since_commit_ = 0;
  db_->exec("COMMIT; BEGIN");
}

void TraceWriter::finish() {
  if (finished_) return;
  set_meta("event_count", static_cast<int64_t>(events_));
  if (!refused_.empty()) set_meta("refused_calls", refused_.meta());
  set_meta("complete", 1);
  db_->exec("COMMIT");
  finished_ = true;
  ins_event_.reset();
  ins_mem_.reset();
  ins_blob_.reset();
  find_blob_.reset();
  ins_map_.reset();
  ins_task_.reset();
  upd_task_.reset();
  ins_meta_.reset();
  db_.reset();
}

// ---------------------------------------------------------------- reader

namespace {

// A column the schema declares INTEGER: SQLite would silently read text as 0.
int64_t int_col(sql::Stmt& st, int c, const char* what) {
  int64_t v = 0;
  if (st.typed_i64(c, &v) != SQLITE_INTEGER) throw Error(std::string(what) + " is not an integer");
  return v;
}
std::optional<int64_t> opt_int_col(sql::Stmt& st, int c, const char* what) {
  int64_t v = 0;
  int type = st.typed_i64(c, &v);
  if (type == SQLITE_NULL) return std::nullopt;
  if (type != SQLITE_INTEGER) throw Error(std::string(what) + " is not an integer");
  return v;
}

const char* const kCutShort = "trace is incomplete (recording was cut short)";

}  // namespace

TraceReader::TraceReader(const std::string& path, bool validate, bool allow_cut) : path_(path) {
  if (::access(path.c_str(), R_OK) != 0) throw_errno(path);
  source_ = std::make_unique<RecoveredTrace>(path);
  open_db(source_->path());
  if (validate) {
    auto problems = check_trace_header(*this);
    cut_short_ = meta_or("complete", "0") != "1";
    if (allow_cut) std::erase(problems, std::string(kCutShort));
    if (!problems.empty()) {
      std::string more =
          problems.size() > 1 ? " (+" + std::to_string(problems.size() - 1) + " more: rp check)" : "";
      throw Error(path + ": " + problems.front() + more);
    }
    // A finished recording wrote how many events it holds: events removed
    // from its end (or anywhere) would otherwise replay as a shorter run.
    auto expected = meta("event_count");
    if (!cut_short_ && expected && std::to_string(count("events")) != *expected)
      throw Error(path + ": trace is damaged (" + *expected + " events recorded, " +
                  std::to_string(count("events")) + " present)");
    if (cut_short_) cut_after_ = first_hole();
    rewind();  // the schema is rp's: the cursors' queries are valid
  }
}

TraceReader::~TraceReader() = default;

TraceReader::TraceReader(const TraceReader& of, Twin)
    : path_(of.path_), cut_short_(of.cut_short_), cut_after_(of.cut_after_) {
  open_db(of.source_->path());
  rewind();
}

namespace {

// What a read-ahead event holds in memory, for the bounds on how far ahead.
AheadBytes event_bytes(const Event& e) {
  AheadBytes n{sizeof e + e.extra.size(), 0};
  for (const MemRecord& m : e.mem) n.payload += m.bytes.size();
  n.held += n.payload + e.mem.size() * sizeof(MemRecord);
  return n;
}

}  // namespace

void TraceReader::read_ahead(Ahead what) {
  // Connections of their own: SQLite's reader is opened without a mutex,
  // for one thread. Opened on the file this one has open, which stays (even
  // the private copy of a torn trace) while this reader lives.
  std::shared_ptr<TraceReader> events(new TraceReader(*this, Twin{}));
  events_ahead_ = std::make_unique<ReadAhead<Event>>(
      [events](Event& e) { return events->next(e); }, event_bytes);
  if (what != Ahead::kEventsAndEntries) return;
  std::shared_ptr<TraceReader> entries(new TraceReader(*this, Twin{}));
  entries_ahead_ = std::make_unique<ReadAhead<EntryRow>>(
      [entries](EntryRow& r) { return entries->next_entry(r.entry_seq, r.tid, r.seq); },
      [](const EntryRow& r) { return AheadBytes{sizeof r, 0}; });
}

void TraceReader::open_db(const std::string& file) {
  db_ = std::make_unique<sql::Db>(file, SQLITE_OPEN_READONLY, path_);
  // Not PRAGMA quick_check, which walks the whole file (as long as reading
  // the events): SQLite checks each page it reads as it loads it (with
  // cell_size_check, every cell's extent too) and fails the read, and the
  // reader validates every field it uses (docs/security.md). rp check runs
  // quick_check (structure_problems). Reading the schema here makes a file
  // that is not SQLite fail at open.
  try {
    db_->exec("PRAGMA cell_size_check=ON; SELECT count(*) FROM sqlite_schema");
  } catch (const Error& e) {
    throw Error(path_ + ": not a usable rp trace (" + e.what() + ")");
  }
  // Replay walks three cursors (events, entries, memory) through the file at
  // once: a page cache that holds their working set reads each page once.
  db_->exec("PRAGMA cache_size=-32768");
}

// The last number before the first one missing from the events and their
// entries (a finished recording numbers them without holes), if any.
std::optional<uint64_t> TraceReader::first_hole() {
  sql::Stmt st(*db_,
               "WITH s(seq) AS (SELECT seq FROM events UNION"
               " SELECT entry_seq FROM events WHERE entry_seq IS NOT NULL),"
               " g AS (SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS nxt FROM s)"
               " SELECT min(seq) FROM g WHERE nxt > seq + 1");
  if (!st.step() || !st.is_integer(0)) return std::nullopt;
  return static_cast<uint64_t>(st.i64(0));
}

void TraceReader::fail(const std::string& what) const { throw Error(path_ + ": " + what); }

std::optional<std::string> TraceReader::meta(const std::string& key) {
  sql::Stmt st(*db_, "SELECT value FROM meta WHERE key=?");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

std::string TraceReader::meta_or(const std::string& key, const std::string& dflt) {
  auto v = meta(key);
  return v ? *v : dflt;
}

int64_t TraceReader::meta_int(const std::string& key, int64_t dflt, int64_t lo, int64_t hi) {
  sql::Stmt st(*db_, "SELECT value FROM meta WHERE key=?");
  st.bind(1, key);
  if (!st.step()) return dflt;
  int64_t v = 0;
  bool ok = st.is_integer(0);
  if (ok) {
    v = st.i64(0);
  } else {
    std::string t = st.text(0);  // older writers stored some numbers as text
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    ok = !t.empty() && ec == std::errc() && end == t.data() + t.size();
  }
  if (!ok || v < lo || v > hi)
    fail("meta " + printable(key, 40) + " is '" + printable(st.text(0), 40) + "', not an integer in [" +
         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

std::vector<std::string> TraceReader::list(const std::string& kind) {
  sql::Stmt st(*db_, "SELECT value FROM lists WHERE kind=? ORDER BY idx");
  st.bind(1, kind);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.blob(0));
  return out;
}

std::map<int32_t, int32_t> TraceReader::namespace_tids() {
  std::map<int32_t, int32_t> out;
  for (const std::string& item : list(kNamespaceTids)) {
    long long tid = 0, ns = 0;
    char rest = 0;
    if (std::sscanf(item.c_str(), "%lld %lld %c", &tid, &ns, &rest) != 2 || tid < 1 ||
        tid > kMaxTid || ns < 1 || ns > kMaxTid)
      fail("damaged namespace tid list item '" + item.substr(0, 40) + "'");
    out[static_cast<int32_t>(tid)] = static_cast<int32_t>(ns);
  }
  return out;
}

std::vector<TaskInfo> TraceReader::tasks() {
  sql::Stmt st(*db_, "SELECT tid,tgid,parent,first_seq,exit_status FROM tasks ORDER BY rowid");
  std::vector<TaskInfo> out;
  while (st.step()) {
    TaskInfo t;
    try {
      t.tid = static_cast<int32_t>(int_col(st, 0, "tid"));
      t.tgid = static_cast<int32_t>(int_col(st, 1, "tgid"));
      t.parent = static_cast<int32_t>(int_col(st, 2, "parent"));
      t.first_seq = static_cast<uint64_t>(int_col(st, 3, "first_seq"));
      t.exit_status = opt_int_col(st, 4, "exit_status");
      int64_t wide[] = {st.i64(0), st.i64(1), st.i64(2)};
      for (int64_t w : wide)
        if (w != static_cast<int32_t>(w)) throw Error("a tid out of range");
    } catch (const Error& e) {
      fail("tasks row " + std::to_string(out.size() + 1) + ": " + e.what());
    }
    std::string why = task_problem(t);
    if (!why.empty()) fail("task " + std::to_string(st.i64(0)) + ": " + why);
    out.push_back(t);
  }
  return out;
}

std::vector<Mapping> TraceReader::mappings() {
  sql::Stmt st(*db_,
               "SELECT seq,tid,addr,size,coalesce(prot,0),coalesce(flags,0),coalesce(offset,0),"
               "path,coalesce(blob,0) FROM mappings ORDER BY rowid");
  std::vector<Mapping> out;
  while (st.step()) {
    Mapping m;
    try {
      m.seq = static_cast<uint64_t>(int_col(st, 0, "seq"));
      m.tid = static_cast<int32_t>(int_col(st, 1, "tid"));
      m.addr = static_cast<uint64_t>(int_col(st, 2, "addr"));
      m.size = static_cast<uint64_t>(int_col(st, 3, "size"));
      m.prot = int_col(st, 4, "prot");
      m.flags = int_col(st, 5, "flags");
      m.offset = static_cast<uint64_t>(int_col(st, 6, "offset"));
      m.blob = int_col(st, 8, "blob");
    } catch (const Error& e) {
      fail("mappings row " + std::to_string(out.size() + 1) + ": " + e.what());
    }
    m.path = st.text(7);
    std::string why = mapping_problem(m);
    if (!why.empty()) fail("mappings row " + std::to_string(out.size() + 1) + ": " + why);
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> TraceReader::structure_problems() {
  // Its findings are result rows, not errors: "ok", or one row per problem.
  sql::Stmt st(*db_, "PRAGMA quick_check(10)");
  std::vector<std::string> out;
  while (st.step())
    if (std::string row = st.text(0); row != "ok") out.push_back("SQLite: " + printable(row, 200));
  return out;
}

void TraceReader::verify_blobs() {
  sql::Stmt st(*db_, "SELECT id FROM blobs");
  while (st.step()) blob(st.i64(0));
}

std::vector<StoredFile> TraceReader::files() {
  sql::Stmt st(*db_, "SELECT path, blob, mode FROM files ORDER BY path");
  std::vector<StoredFile> out;
  while (st.step()) {
    StoredFile f{st.text(0), 0, 0};
    try {
      f.blob = int_col(st, 1, "blob");
      f.mode = int_col(st, 2, "mode");
    } catch (const Error& e) {
      fail("files row '" + printable(f.path) + "': " + e.what());
    }
    std::string why = file_problem(f);
    if (!why.empty()) fail("files row '" + printable(f.path) + "': " + why);
    out.push_back(f);
  }
  return out;
}

int64_t TraceReader::count(const char* table) {
  sql::Stmt st(*db_, (std::string("SELECT count(*) FROM ") + table).c_str());
  st.step();
  return st.i64(0);
}

std::string TraceReader::blob(int64_t id) {
  std::string what = "blob " + std::to_string(id);
  sql::Stmt st(*db_, "SELECT hash,size,codec,data FROM blobs WHERE id=?");
  st.bind(1, id);
  if (!st.step()) fail("refers to missing " + what);
  if (st.text(2) != "zstd") fail(what + ": unknown codec");
  if (!st.is_integer(1) || st.i64(1) < 0 || static_cast<uint64_t>(st.i64(1)) > kMaxBytes)
    fail(what + " is damaged (size not an integer in [0, " + std::to_string(kMaxBytes) + "])");
  std::string bytes;
  try {
    bytes = zstd_decompress(st.blob(3), static_cast<uint64_t>(st.i64(1)));
  } catch (const Error& e) {
    fail(what + ": " + e.what());
  }
  if (hash128(bytes) != st.blob(0)) fail(what + " is damaged (hash mismatch)");
  return bytes;
}

// Memory records name their blob by id, and the recorder stores equal bytes
// once: a program reading the same data again (a file read twice, the same
// page of a buffer) refers to one blob many times. Decompressing and hashing
// it once is enough: the trace is opened immutable, so the id keeps naming
// the same checked bytes. Bounded; emptied when full (no eviction order to
// keep). The events share the cached bytes (SharedBytes), not copies.
SharedBytes TraceReader::cached_blob(int64_t id) {
  auto it = blob_cache_.find(id);
  if (it != blob_cache_.end()) return it->second;
  SharedBytes bytes = blob(id);
  blobs_decoded_++;
  if (bytes.size() > kBlobCacheBytes) return bytes;
  if (blob_cache_bytes_ + bytes.size() > kBlobCacheBytes) {
    blob_cache_.clear();
    blob_cache_bytes_ = 0;
  }
  blob_cache_bytes_ += bytes.size();
  return blob_cache_.emplace(id, std::move(bytes)).first->second;
}

bool TraceReader::has_times() {
  sql::Stmt st(*db_, "SELECT count(*) FROM pragma_table_info('events') WHERE name='t_entry'");
  return st.step() && st.i64(0) == 1;
}

std::string TraceReader::event_columns() {
  // Version 1 traces have no time columns: read them as NULL.
  return std::string("seq,tid,kind,nr,a0,a1,a2,a3,a4,a5,ret,in_hash,extra,entry_seq,") +
         (has_times() ? "t_entry,t_exit" : "NULL,NULL");
}

void TraceReader::rewind() {
  events_ahead_.reset();
  entries_ahead_.reset();
  events_ = std::make_unique<sql::Stmt>(
      *db_, ("SELECT " + event_columns() + " FROM events ORDER BY seq").c_str());
  // Not the entries right before their own event (entry_is_own): those come
  // with the event. The condition reads only the index (entry_seq, and seq,
  // the rowid), so SQLite looks up a row's tid in the table only for the
  // entries it yields: for one thread's calls, none.
  entries_ = std::make_unique<sql::Stmt>(
      *db_, "SELECT entry_seq,tid,seq FROM events WHERE entry_seq IS NOT NULL"
            " AND (entry_seq <> seq - 1 OR entry_seq = 0) ORDER BY entry_seq");
  mem_ = std::make_unique<sql::Stmt>(
      *db_, "SELECT seq,addr,size,input,data,blob FROM mem ORDER BY seq, rowid");
  mem_pending_ = mem_->step();
  events_done_ = entries_done_ = false;
}

void TraceReader::resolve_mem(sql::Stmt& st, MemRecord& m) {
  auto at = [&] { return "memory record of event " + std::to_string(st.i64(0)) + ": "; };
  int64_t size = 0;
  std::optional<int64_t> blob_id;
  try {
    int_col(st, 0, "seq");
    m.addr = static_cast<uint64_t>(int_col(st, 1, "addr"));
    size = int_col(st, 2, "size");
    m.input = int_col(st, 3, "input") != 0;
    blob_id = opt_int_col(st, 5, "blob");
  } catch (const Error& e) {
    fail(at() + e.what());
  }
  std::string why = mem_problem(m.addr, size);
  if (!why.empty()) fail(at() + why);
  m.bytes = blob_id ? cached_blob(*blob_id) : SharedBytes(st.blob(4));
  if (m.bytes.size() != static_cast<uint64_t>(size)) fail(at() + "damaged (size mismatch)");
}

bool TraceReader::process_acts_after(int32_t tid, uint64_t seq) {
  sql::Stmt st(*db_,
               "SELECT 1 FROM events e JOIN tasks t ON t.tid = e.tid WHERE t.tgid IN "
               "(SELECT tgid FROM tasks WHERE tid = ?) AND e.seq > ? AND e.kind != ? LIMIT 1");
  st.bind(1, tid).bind(2, static_cast<int64_t>(seq))
      .bind(3, static_cast<int64_t>(EventKind::kTaskExit));
  return st.step();
}

bool TraceReader::next_entry(uint64_t& entry_seq, int32_t& tid, uint64_t& seq) {
  if (entries_ahead_) {
    EntryRow r;
    if (!entries_ahead_->next(r)) return false;
    entry_seq = r.entry_seq, tid = r.tid, seq = r.seq;
    return true;
  }
  if (entries_done_ || !entries_->step()) return entries_done_ = true, false;
  try {
    entry_seq = static_cast<uint64_t>(int_col(*entries_, 0, "entry_seq"));
    if (cut_after_ && entry_seq > *cut_after_) return entries_done_ = true, false;
    int64_t t = int_col(*entries_, 1, "tid");
    seq = static_cast<uint64_t>(int_col(*entries_, 2, "seq"));
    if (t < 1 || t > kMaxTid) throw Error("tid out of range");
    tid = static_cast<int32_t>(t);
  } catch (const Error& e) {
    fail("event " + std::to_string(entries_->i64(2)) + ": " + e.what());
  }
  return true;
}

namespace {

// "a,b,c" of the numbers, for an SQL IN list.
template <typename T, typename F>
std::string sql_list(const std::vector<T>& xs, F number) {
  std::string in;
  for (const T& x : xs) in += (in.empty() ? "" : ",") + std::to_string(number(x));
  return in;
}

}  // namespace

std::vector<Event> TraceReader::events_where(const std::string& condition) {
  std::string q = "SELECT " + event_columns() + " FROM events WHERE " + condition + " ORDER BY seq";
  sql::Stmt st(*db_, q.c_str());
  std::vector<Event> out;
  while (st.step()) {
    out.emplace_back();
    read_event_row(st, out.back());
  }
  return out;
}

std::vector<Event> TraceReader::syscalls_with(const std::vector<int64_t>& nrs) {
  return syscalls_with_or_kinds(nrs, {});
}

std::vector<Event> TraceReader::events_of_kinds(const std::vector<EventKind>& kinds) {
  return syscalls_with_or_kinds({}, kinds);
}

std::vector<Event> TraceReader::syscalls_with_or_kinds(const std::vector<int64_t>& nrs,
                                                       const std::vector<EventKind>& kinds) {
  return events_where("(kind=" + std::to_string(static_cast<int>(EventKind::kSyscall)) +
                      " AND nr IN (" + sql_list(nrs, [](int64_t nr) { return nr; }) +
                      ")) OR kind IN (" +
                      sql_list(kinds, [](EventKind k) { return static_cast<int>(k); }) + ")");
}

Event TraceReader::event_at(uint64_t seq) {
  sql::Stmt st(*db_, ("SELECT " + event_columns() + " FROM events WHERE seq=?").c_str());
  st.bind(1, static_cast<int64_t>(seq));
  if (!st.step()) fail("has no event " + std::to_string(seq));
  Event e;
  read_event_row(st, e);
  sql::Stmt m(*db_, "SELECT seq,addr,size,input,data,blob FROM mem WHERE seq=? ORDER BY rowid");
  m.bind(1, static_cast<int64_t>(seq));
  while (m.step()) {
    MemRecord r;
    resolve_mem(m, r);
    e.mem.push_back(std::move(r));
  }
  return e;
}

void TraceReader::read_event_row(sql::Stmt& st, Event& e) {
  e = Event{};
  e.seq = static_cast<uint64_t>(st.i64(0));
  // Built only on failure: this runs once per recorded event in replay.
  auto at = [&] { return "event " + std::to_string(st.i64(0)) + ": "; };
  try {
    int64_t tid = int_col(st, 1, "tid");
    if (tid != static_cast<int32_t>(tid)) throw Error("tid out of range");
    e.tid = static_cast<int32_t>(tid);
    int64_t kind = int_col(st, 2, "kind");
    if (kind < 1 || kind > 5) throw Error("unknown kind " + std::to_string(kind));
    e.kind = static_cast<EventKind>(kind);
    e.nr = int_col(st, 3, "nr");
    for (int i = 0; i < 6; i++) e.args[i] = static_cast<uint64_t>(int_col(st, 4 + i, "argument"));
    e.ret = int_col(st, 10, "ret");
    if (auto h = opt_int_col(st, 11, "in_hash")) e.in_hash = static_cast<uint64_t>(*h);
    e.entry_seq = static_cast<uint64_t>(opt_int_col(st, 13, "entry_seq").value_or(0));
  } catch (const Error& x) {
    fail(at() + x.what());
  }
  e.extra = st.blob(12);
  try {
    e.t_entry = opt_int_col(st, 14, "t_entry");
    e.t_exit = opt_int_col(st, 15, "t_exit");
  } catch (const Error& x) {
    fail(at() + x.what());
  }
  std::string why = event_problem(e);
  if (!why.empty()) fail(at() + why);
}

bool TraceReader::next(Event& e) {
  if (events_ahead_) return events_ahead_->next(e);
  // Stepped again after its end, an SQLite statement starts over: the reader
  // stays at the end instead (replay peeks past the end of a cut trace).
  if (events_done_ || !events_->step()) return events_done_ = true, false;
  read_event_row(*events_, e);
  if (cut_after_ && e.seq > *cut_after_) return events_done_ = true, false;
  while (mem_pending_) {
    auto seq = static_cast<uint64_t>(mem_->i64(0));
    if (seq < e.seq) fail("has memory for a missing event " + std::to_string(mem_->i64(0)));
    if (seq > e.seq) break;
    MemRecord m;
    resolve_mem(*mem_, m);
    e.mem.push_back(std::move(m));
    mem_pending_ = mem_->step();
  }
  return true;
}

std::optional<rp_point_digest> point_digest(const Event& e) {
  if (e.kind != EventKind::kPreempt && e.kind != EventKind::kSignal) return std::nullopt;
  const char* p = e.extra.data() + sizeof(SignalExtra);
  rp_point_digest d{};
  if (e.extra.size() == sizeof(SignalExtra) + sizeof d) {
    std::memcpy(&d, p, sizeof d);
    return d;
  }
  if (e.extra.size() != sizeof(SignalExtra) + sizeof(NarrowPointDigest)) return std::nullopt;
  NarrowPointDigest n;
  std::memcpy(&n, p, sizeof n);
  d.mask = n.mask;
  d.narrow = 1;
  for (uint32_t i = 0; i < RP_DIGEST_REGS; i++) d.sum[i] = n.sum[i];
  return d;
}

}  // namespace rp
