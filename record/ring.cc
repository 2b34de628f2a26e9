#include "ring.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

#include "error.h"
#include "render.h"
#include "inject.h"
#include "snapshot.h"
#include "sqlite.h"
#include "take_snapshot.h"

namespace rp {
namespace {

const char* const kSnapshotTables[] = {"snapshot",           "snapshot_maps",
                                       "snapshot_mem",       "snapshot_threads",
                                       "snapshot_sigactions", "snapshot_thread_exit",
                                       "snapshot_output_fds"};
const char* const kNext = "next_";  // the newest snapshot's tables (write_snapshot)

void drop_tables(sql::Db& db, const std::string& prefix) {
  for (const char* t : kSnapshotTables)
    db.exec(("DROP TABLE IF EXISTS " + prefix + t).c_str());
}

int64_t pragma(sql::Db& db, const char* name) {
  sql::Stmt st(db, (std::string("PRAGMA ") + name).c_str());
  return st.step() ? st.i64(0) : 0;
}

int64_t one(sql::Db& db, const char* query, int64_t arg) {
  sql::Stmt st(db, query);
  st.bind(1, arg);
  return st.step() ? st.i64(0) : 0;
}

void run(sql::Db& db, const char* query, int64_t arg) {
  sql::Stmt st(db, query);
  st.bind(1, arg).run();
}

uint64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

std::optional<SaveOn> parse_save_on(const std::string& s) {
  if (s == "crash") return SaveOn::kCrash;
  if (s == "exit") return SaveOn::kExit;
  if (s == "never") return SaveOn::kNever;
  return std::nullopt;
}

std::optional<uint64_t> parse_size(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') digits++;
  if (digits == 0) return std::nullopt;
  std::string unit = s.substr(digits);
  uint64_t mult = 1;
  if (unit == "K" || unit == "k" || unit == "KiB") mult = 1ull << 10;
  else if (unit == "M" || unit == "m" || unit == "MiB") mult = 1ull << 20;
  else if (unit == "G" || unit == "g" || unit == "GiB") mult = 1ull << 30;
  else if (!unit.empty()) return std::nullopt;
  uint64_t n = std::stoull(s.substr(0, digits));
  if (n == 0 || n > (1ull << 50) / mult) return std::nullopt;
  return n * mult;
}

std::string ring_backend(const std::string& requested, bool by_name) {
  if (by_name) throw Error("record: --ring records one process (-p PID or a program), not --name");
  if (requested == "auto") return "ptrace";
  return requested;  // open_backend refuses names it does not know
}

void ignore_save_requests_until_recording() {
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigaction(SIGUSR2, &sa, nullptr);
}

bool keep_trace(SaveOn on, int status, bool detached, bool quiet) {
  if (on == SaveOn::kExit) return true;
  bool crashed = !detached && WIFSIGNALED(status);
  if (on == SaveOn::kCrash && crashed) return true;
  if (!quiet) {
    std::string how = detached ? "rp detached" : "the program " + render_wait_status(status);
    std::cerr << "rp: " << how << "; --save-on "
              << (on == SaveOn::kNever ? "never" : "crash") << " keeps no trace\n";
  }
  return false;
}

Ring::Ring(TraceWriter& w, std::string trace_path, uint64_t bytes, bool quiet)
    : w_(w), path_(std::move(trace_path)), bytes_(bytes), quiet_(quiet) {
  used_at_snapshot_ = used_bytes();
  w_.set_meta("ring_bytes", static_cast<int64_t>(bytes_));
}

uint64_t Ring::used_bytes() {
  int64_t pages = pragma(w_.db(), "page_count") - pragma(w_.db(), "freelist_count");
  return static_cast<uint64_t>(std::max<int64_t>(pages, 0) * pragma(w_.db(), "page_size"));
}

bool Ring::due() {
  if (++calls_ % 64 != 0) return false;
  return due_now();
}

bool Ring::due_now(uint64_t unwritten) {
  max_file_bytes_ = std::max(max_file_bytes_, file_size(path_));
  return used_bytes() + unwritten >= used_at_snapshot_ + bytes_ / 2;
}

uint64_t Ring::bytes_until_due(uint64_t unwritten) {
  uint64_t at = used_bytes() + unwritten, due_at = used_at_snapshot_ + bytes_ / 2;
  return at >= due_at ? 0 : due_at - at;
}

void Ring::snapshot(pid_t tgid, const std::vector<pid_t>& tids, uint64_t seq,
                    const OutputFiles& outputs, const std::string& copy_reason,
                    const ForgetCopy& forget) {
  auto t0 = std::chrono::steady_clock::now();
  uint64_t insn = vdso_syscall_insn(tgid);
  if (!insn) throw Error("record: --ring needs the process's vDSO to take a snapshot");
  if (next_) promote_next();
  Pending p;
  p.seq = seq;
  p.time_ns = clock_ns(CLOCK_MONOTONIC);
  {
    sql::Stmt notes(w_.db(), "SELECT coalesce(max(idx) + 1, 0) FROM lists WHERE kind=?");
    notes.bind(1, kCounterCode);
    if (notes.step()) p.code_notes = notes.i64(0);
  }
  std::string side = path_ + "-snap" + std::to_string(snapshots_ + 1);
  p.stats = take_snapshot(w_, tgid, tids, insn, outputs, kNext,
                          copy_reason.empty() ? &next_copy_ : nullptr, side, forget);
  if (!copy_reason.empty()) p.stats.copy = "stopped: " + copy_reason;
  p.pause_us = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - t0).count();
  next_ = p;
  snapshots_++;
  write_meta();
  w_.checkpoint();
  used_at_snapshot_ = used_bytes();
  max_file_bytes_ = std::max(max_file_bytes_, file_size(path_));
}

void Ring::forget_injected(uint64_t upto, int64_t pause_us) {
  if (!next_ || upto <= next_->seq) return;
  sql::Db& db = w_.db();
  auto from = static_cast<int64_t>(next_->seq), to = static_cast<int64_t>(upto);
  {
    sql::Stmt count(db, "SELECT count(*) FROM events WHERE seq > ? AND seq <= ?");
    count.bind(1, from).bind(2, to);
    if (count.step()) w_.events_dropped(static_cast<uint64_t>(count.i64(0)));
  }
  for (const char* table : {"mem", "events", "mappings"}) {
    sql::Stmt st(db, (std::string("DELETE FROM ") + table + " WHERE seq > ? AND seq <= ?").c_str());
    st.bind(1, from).bind(2, to).run();
  }
  next_->seq = upto;
  next_->pause_us = pause_us;
  w_.checkpoint();
}

// The newest snapshot becomes the one the trace starts from: the one before
// it and every event up to it go. Its rows move between tables; its contents
// (blobs) stay where they are.
void Ring::promote_next() {
  sql::Db& db = w_.db();
  drop_tables(db, "");
  db.exec(snapshot_schema());
  for (const char* t : kSnapshotTables)
    db.exec(("INSERT INTO " + std::string(t) + " SELECT * FROM " + kNext + t).c_str());
  drop_tables(db, kNext);
  // The meta first: a trace cut short between two of drop_before's steps
  // then has events before snapshot_seq, which rp check refuses.
  w_.set_meta("snapshot_seq", static_cast<int64_t>(next_->seq));
  w_.set_meta("snapshot_time_ns", next_->time_ns);
  w_.set_meta("snapshot_pause_us", next_->pause_us);
  write_snapshot_counts(db, next_->stats);
  current_copy_ = std::move(next_copy_);
  current_stats_ = next_->stats;
  drop_before(next_->seq);
  sql::Stmt notes(db, "DELETE FROM lists WHERE kind=? AND idx < ?");
  notes.bind(1, kCounterCode).bind(2, next_->code_notes).run();
  next_.reset();
}

void Ring::adopt_attach_copy(std::unique_ptr<CowCopy> copy, const SnapshotStats& stats) {
  current_copy_ = std::move(copy);
  current_stats_ = stats;
}

// The contents the frozen copy of the snapshot the trace starts from holds,
// into db (the trace, or a saved copy of it), with the meta that counts them.
void Ring::import_current(sql::Db& db) {
  if (!current_copy_) return;
  SnapshotStats st = current_stats_;
  st += current_copy_->import_into(db, "");
  write_snapshot_counts(db, st);
}

void Ring::join_copies() {
  for (auto* c : {&current_copy_, &next_copy_})
    if (*c) (*c)->join();
}

void Ring::finish() {
  drop_tables(w_.db(), kNext);  // only the snapshot the trace starts from is kept
  next_.reset();
  next_copy_.reset();
  import_current(w_.db());
  current_copy_.reset();
  write_meta();
}

// Everything up to event `seq` goes: the snapshot stands for it. Tasks that
// ended by then, file mappings made by then, and the blobs nothing refers to
// any more; SQLite reuses the pages freed for what comes next. Events and
// blobs go in steps, each committed: the rollback journal holds a copy of
// every page a transaction changes, and deleting half a ring at once put up
// to half a ring more on disk beside the trace (docs/performance.md). A
// --ring trace is written under a temporary name until it is kept; one cut
// short between two steps (rp killed) is refused by rp check.
void Ring::drop_before(uint64_t seq) {
  sql::Db& db = w_.db();
  auto s = static_cast<int64_t>(seq);
  int64_t n = one(db, "SELECT count(*) FROM events WHERE seq <= ?", s);
  w_.checkpoint();
  for (int64_t from = one(db, "SELECT coalesce(min(seq), 0) - 1 FROM events WHERE seq <= ?", s);
       from < s;) {
    int64_t to = s;
    {  // an event's own row: ~100 bytes
      sql::Stmt st(db, "SELECT seq FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 1 OFFSET ?");
      st.bind(1, from).bind(2, s).bind(3, static_cast<int64_t>(prune_step_bytes() / 128));
      if (st.step()) to = st.i64(0);
    }
    to = step_end("SELECT seq, size FROM mem WHERE seq > ? AND seq <= ? ORDER BY seq", from, to);
    for (const char* table : {"mem", "events", "mappings"}) {
      sql::Stmt st(db, (std::string("DELETE FROM ") + table + " WHERE seq > ? AND seq <= ?").c_str());
      st.bind(1, from).bind(2, to).run();
    }
    w_.checkpoint();
    from = to;
  }
  for (const char* table : {"mem", "mappings"})  // any before the first event (the attach's)
    run(db, (std::string("DELETE FROM ") + table + " WHERE seq <= ?").c_str(), s);
  // (Threads born after the snapshot stay: their first event is after it.)
  run(db, "DELETE FROM tasks WHERE first_seq <= ? AND tid NOT IN (SELECT tid FROM snapshot_threads)",
      s);
  int64_t last = one(db, "SELECT coalesce(max(id), 0) FROM blobs WHERE id > ?", 0);
  for (int64_t from = 0; from < last;) {
    int64_t to = step_end("SELECT id, size FROM blobs WHERE id > ? AND id <= ? ORDER BY id", from, last);
    sql::Stmt st(db,
                 "DELETE FROM blobs WHERE id > ? AND id <= ? AND id NOT IN ("
                 "SELECT blob FROM mem WHERE blob IS NOT NULL UNION SELECT blob FROM mappings "
                 "WHERE blob IS NOT NULL UNION SELECT blob FROM files UNION SELECT blob FROM "
                 "snapshot_mem)");  // next_snapshot_mem: none now
    st.bind(1, from).bind(2, to).run();
    w_.checkpoint();
    from = to;
  }
  dropped_events_ += static_cast<uint64_t>(n);
  w_.events_dropped(static_cast<uint64_t>(n));
}

// A step of drop_before: about a sixteenth of the ring.
uint64_t Ring::prune_step_bytes() const {
  return std::clamp<uint64_t>(bytes_ / 16, 64 << 10, 4 << 20);
}

// `sized_rows` gives (key, bytes) rows with keys in (?, ?], in key order:
// the key where the rows after `from` reach a step's bytes, else `upto`.
int64_t Ring::step_end(const char* sized_rows, int64_t from, int64_t upto) {
  sql::Stmt st(w_.db(), sized_rows);
  st.bind(1, from).bind(2, upto);
  uint64_t bytes = 0;
  while (st.step()) {
    bytes += static_cast<uint64_t>(st.i64(1)) + 64;
    if (bytes >= prune_step_bytes()) return st.i64(0);
  }
  return upto;
}

void Ring::cannot_snapshot(const std::string& why) {
  w_.set_meta("ring_unpruned", why);
  if (told_.insert(why).second && !quiet_)
    std::cerr << "rp: --ring: " << why << ": no snapshot can be taken, every event is kept "
                 "until it runs alone again\n";
}

void Ring::write_meta() {
  max_file_bytes_ = std::max(max_file_bytes_, file_size(path_));
  w_.set_meta("ring_snapshots", static_cast<int64_t>(snapshots_));
  w_.set_meta("ring_dropped_events", static_cast<int64_t>(dropped_events_));
  w_.set_meta("ring_max_file_bytes", static_cast<int64_t>(max_file_bytes_));
}

void Ring::save_copy(const std::string& path) {
  // VACUUM INTO wants a new or empty file: made here, 0600 like the trace.
  int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("cannot create '" + path + "': " + strerror(errno));
  close(fd);
  write_meta();
  sql::Db& db = w_.db();
  db.exec("COMMIT");
  try {
    sql::Stmt st(db, "VACUUM INTO ?");
    st.bind(1, path).run();
  } catch (...) {
    db.exec("BEGIN");
    unlink(path.c_str());
    throw;
  }
  db.exec("BEGIN");
  // The copy is a finished trace of the window: it ends while the process
  // still runs, as a trace rp detached from does.
  sql::Db copy(path, SQLITE_OPEN_READWRITE);
  drop_tables(copy, kNext);
  import_current(copy);
  copy.exec(
      "INSERT OR REPLACE INTO meta VALUES('event_count', (SELECT count(*) FROM events));"
      "INSERT OR REPLACE INTO meta VALUES('complete', 1);"
      "INSERT OR REPLACE INTO meta VALUES('saved_on_request', 1);");
}

}  // namespace rp

namespace rp {

void Ring::save_next_to(const std::string& target) {
  std::string stem = target;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  std::string path;
  struct stat st;
  do path = stem + "-saved-" + std::to_string(++saves_) + ".db";
  while (lstat(path.c_str(), &st) == 0);
  try {
    save_copy(path);
  } catch (const Error& e) {
    std::cerr << "rp: cannot save the window: " << e.what() << "\n";
    return;
  }
  std::cerr << "rp: saved the current window (" << w_.events_written() << " events) to " << path
            << "\n";
}

}  // namespace rp
