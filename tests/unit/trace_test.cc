// The trace file is the only thing replay trusts, so every field must survive
// a round trip bit for bit, and every kind of damage must surface as rp::Error
// (a one-line message for the user), never as a crash or as silently wrong data.
#include <gtest/gtest.h>

#include <cstring>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "blob.h"
#include "error.h"
#include "trace.h"
#include "trace_check.h"

namespace fs = std::filesystem;

namespace rp {
namespace {

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g());
  return s;
}

// Edits a trace behind rp's back, the way a user or a bad disk could.
void sql_exec(const std::string& path, const std::string& stmt) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, stmt.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

int64_t sql_int(const std::string& path, const std::string& query) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rp-trace-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  void write_file(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }

  // A trace with some of everything, finished.
  std::string write_sample_trace(const std::string& name, int events = 50) {
    std::string p = path(name);
    TraceWriter w(p);
    w.set_meta("format_note", "sample");
    w.set_list("argv", {"prog", "arg one", ""});
    big_ = random_bytes(1 << 20, 7);
    for (int i = 1; i <= events; i++) {
      Event e;
      e.seq = static_cast<uint64_t>(i);
      e.entry_seq = static_cast<uint64_t>(i);
      e.tid = 100;
      e.nr = 0;
      e.args[1] = 0x1000;
      e.ret = 16;
      e.mem.push_back({0x1000, random_bytes(16, i), false});
      if (i == 2) e.mem.push_back({0x200000, big_, false});
      w.add_event(e);
    }
    w.finish();
    return p;
  }

  std::string dir_;
  std::string big_;
};

std::string slurp_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A recorder killed during a COMMIT: the file holds the transaction's pages,
// its journal the pages as of the last COMMIT. Made here by saving the
// journal before the COMMIT and putting it back after.
TEST_F(TraceTest, ATornTraceReadsAsOfItsLastCommitAndIsNotWritten) {
  std::string p = write_sample_trace("torn.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(p.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; BEGIN; "
                         "DELETE FROM mem; DELETE FROM events; DELETE FROM blobs;",
                         nullptr, nullptr, nullptr), SQLITE_OK);
  std::string journal = slurp_file(p + "-journal");
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_EQ(sql_int(p, "SELECT count(*) FROM events"), 0);
  write_file(p + "-journal", journal);
  std::string before = slurp_file(p);
  {
    TraceReader r(p, true, true);
    EXPECT_EQ(r.count("events"), 50);
    r.verify_blobs();
  }
  EXPECT_EQ(slurp_file(p), before);
  EXPECT_EQ(slurp_file(p + "-journal"), journal);
}

// SQLite deletes the super-journal a journal names once it has played it
// back: a trace's journal must not make rp delete a file.
TEST_F(TraceTest, AJournalNamingASuperJournalIsRefused) {
  std::string p = write_sample_trace("super.db");
  const std::string magic("\xd9\xd5\x05\xf9\x20\xa1\x63\xd7", 8);
  write_file(p + "-journal", magic + std::string(4096, '\0') + magic);
  try {
    TraceReader r(p);
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("names another file"), std::string::npos) << e.what();
  }
}

TEST_F(TraceTest, MetaAndListsRoundTrip) {
  std::string p = path("t.db");
  {
    TraceWriter w(p);
    w.set_meta("exe_path", "/usr/bin/true");
    w.set_meta("stack_limit", int64_t{-1});
    w.set_meta("replaced", "old");
    w.set_meta("replaced", "new");
    w.set_list("argv", {"/bin/echo", "two words", "", "tab\there", "ünïcode"});
    w.set_list("env", {"A=1", "B="});
    w.set_list("env", {"PATH=/bin", "HOME=/root"});  // a second call replaces
    w.finish();
  }
  TraceReader r(p);
  EXPECT_EQ(r.meta("exe_path"), "/usr/bin/true");
  EXPECT_EQ(r.meta("stack_limit"), "-1");
  EXPECT_EQ(r.meta("replaced"), "new");
  EXPECT_EQ(r.meta("format_version"), std::to_string(kTraceVersion));
  EXPECT_EQ(r.meta("complete"), "1");
  EXPECT_EQ(r.meta("event_count"), "0");
  EXPECT_EQ(r.meta("no such key"), std::nullopt);
  EXPECT_EQ(r.meta_or("no such key", "dflt"), "dflt");
  EXPECT_EQ(r.list("argv"),
            (std::vector<std::string>{"/bin/echo", "two words", "", "tab\there", "ünïcode"}));
  EXPECT_EQ(r.list("env"), (std::vector<std::string>{"PATH=/bin", "HOME=/root"}));
  EXPECT_TRUE(r.list("nothing").empty());
  Event e;
  EXPECT_FALSE(r.next(e));
}

// The tids tasks had in their own pid namespaces: one item each, as the
// recorder adds them; a trace is untrusted input, so an item that is not two
// tids in range is refused.
TEST_F(TraceTest, NamespaceTidsRoundTripAndDamageIsRefused) {
  std::string p = path("t.db");
  {
    TraceWriter w(p);
    w.add_list_item(kNamespaceTids, "884 1");
    w.add_list_item(kNamespaceTids, "900 2");
    w.finish();
  }
  EXPECT_EQ(TraceReader(p).namespace_tids(), (std::map<int32_t, int32_t>{{884, 1}, {900, 2}}));
  for (const char* bad : {"884", "884 0", "x 1", "884 1 2", "99999999 1", "-5 1"}) {
    std::string q = path(std::string("bad") + std::to_string(std::strlen(bad)) + ".db");
    {
      TraceWriter w(q);
      w.add_list_item(kNamespaceTids, bad);
      w.finish();
    }
    EXPECT_THROW(TraceReader(q).namespace_tids(), Error) << bad;
  }
}

TEST_F(TraceTest, EventsRoundTripEveryField) {
  std::string p = path("t.db");
  std::vector<Event> written;
  {
    Event a;
    a.seq = 1;
    a.entry_seq = 1;
    a.tid = 4242;
    a.kind = EventKind::kSyscall;
    a.nr = 0;
    // Values above INT64_MAX go through SQLite's signed integers.
    a.args[0] = 3;
    a.args[1] = 0xffff'8000'0000'1000ull;
    a.args[2] = UINT64_MAX;
    a.args[5] = 1ull << 63;
    a.ret = 5;
    a.t_entry = 1'000'000'000;
    a.t_exit = INT64_MAX;
    a.mem.push_back({0x7fff0000, std::string("he\0lo", 5), false});
    a.mem.push_back({0x7fff1000, "/etc/passwd", true});
    a.mem.push_back({0x7fff2000, std::string(512, 'x'), false});  // inline limit
    Event b;
    b.seq = 2;
    b.entry_seq = 0;  // not recorded
    b.tid = 4243;
    b.kind = EventKind::kSignal;
    b.nr = 11;
    b.ret = -14;
    SignalExtra sx{};
    std::memcpy(sx.siginfo, "\0\1\2\3siginfo\0", 12);
    sx.at_syscall = 1;
    set_signal_extra(b, sx);
    b.t_exit = 0;  // a stop's time only; 0 is a value, not absence
    Event c;
    c.seq = 3;
    c.entry_seq = 2;
    c.tid = 4242;
    c.nr = 1;
    c.in_hash = 0xfedc'ba98'7654'3210ull;  // high bit set
    c.ret = -4095;
    Event d;
    d.seq = 4;
    d.tid = 4243;
    d.kind = EventKind::kTaskExit;
    d.ret = 139;
    Event f;
    f.seq = 5;
    f.tid = 4242;
    f.kind = EventKind::kPreempt;
    f.in_hash = 0;  // a zero hash is a value, not absence
    rp_point_digest digest{};
    digest.mask = 3;
    digest.sum[1] = 0xfeedu;
    set_point_extra(f, SignalExtra{}, digest);
    written = {a, b, c, d, f};
    TraceWriter w(p);
    for (const auto& e : written) w.add_event(e);
    EXPECT_EQ(w.events_written(), 5u);
    w.finish();
  }
  TraceReader r(p);
  EXPECT_EQ(r.meta("event_count"), "5");
  Event e;
  for (const auto& want : written) {
    ASSERT_TRUE(r.next(e));
    EXPECT_EQ(e.seq, want.seq);
    EXPECT_EQ(e.entry_seq, want.entry_seq);
    EXPECT_EQ(e.tid, want.tid);
    EXPECT_EQ(e.kind, want.kind);
    EXPECT_EQ(e.nr, want.nr);
    for (int i = 0; i < 6; i++) EXPECT_EQ(e.args[i], want.args[i]) << "seq " << e.seq << " arg " << i;
    EXPECT_EQ(e.ret, want.ret);
    EXPECT_EQ(e.in_hash, want.in_hash) << "seq " << e.seq;
    EXPECT_EQ(e.extra, want.extra);
    EXPECT_EQ(e.t_entry, want.t_entry) << "seq " << e.seq;
    EXPECT_EQ(e.t_exit, want.t_exit) << "seq " << e.seq;
    ASSERT_EQ(e.mem.size(), want.mem.size());
    for (size_t i = 0; i < e.mem.size(); i++) {
      EXPECT_EQ(e.mem[i].addr, want.mem[i].addr);
      EXPECT_EQ(e.mem[i].bytes, want.mem[i].bytes);
      EXPECT_EQ(e.mem[i].input, want.mem[i].input);
    }
  }
  EXPECT_FALSE(r.next(e));
  EXPECT_EQ(r.count("events"), 5);
  EXPECT_EQ(r.count("mem"), 3);
  EXPECT_EQ(r.count("blobs"), 0);  // everything fit inline
}

TEST_F(TraceTest, LargeMemoryBecomesOneDeduplicatedBlob) {
  std::string p = path("t.db");
  std::string big = random_bytes(1 << 20, 1);
  std::string other = random_bytes(513, 2);  // just above the inline limit
  {
    TraceWriter w(p);
    for (uint64_t s = 1; s <= 2; s++) {
      Event e;
      e.seq = s;
      e.tid = 1;
      e.mem.push_back({0x10000 * s, big, false});
      w.add_event(e);
    }
    Event e;
    e.seq = 3;
    e.tid = 1;
    e.mem.push_back({0x1000, other, false});
    e.mem.push_back({0x9000, "small", false});
    w.add_event(e);
    EXPECT_EQ(w.put_blob(big), 1);  // same content, same id
    w.finish();
  }
  EXPECT_EQ(sql_int(p, "SELECT count(*) FROM blobs"), 2);
  EXPECT_EQ(sql_int(p, "SELECT count(*) FROM blobs WHERE size=1048576"), 1);
  EXPECT_EQ(sql_int(p, "SELECT count(*) FROM mem WHERE blob IS NOT NULL"), 3);
  // Random data does not compress, but the file must not hold it twice.
  EXPECT_LT(fs::file_size(p), 2u * (1 << 20));
  TraceReader r(p);
  Event e;
  ASSERT_TRUE(r.next(e));
  ASSERT_EQ(e.mem.size(), 1u);
  EXPECT_EQ(e.mem[0].addr, 0x10000u);
  EXPECT_TRUE(e.mem[0].bytes == big);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.mem[0].addr, 0x20000u);
  EXPECT_TRUE(e.mem[0].bytes == big);
  ASSERT_TRUE(r.next(e));
  ASSERT_EQ(e.mem.size(), 2u);
  EXPECT_TRUE(e.mem[0].bytes == other);
  EXPECT_EQ(e.mem[1].bytes, "small");
  EXPECT_FALSE(r.next(e));
}

// A program reading the same bytes again (the replay benchmark's pread of one
// 64 KiB block) refers to one blob many times: it is decompressed and
// checked once, and every event gets its bytes, the cached buffer itself, not
// a copy (SharedBytes); changing one event's bytes leaves the others alone.
TEST_F(TraceTest, BlobSharedByManyEventsIsDecodedOnce) {
  std::string p = path("t.db");
  std::string big = random_bytes(64 << 10, 3);
  {
    TraceWriter w(p);
    for (uint64_t s = 1; s <= 5; s++) {
      Event e;
      e.seq = s;
      e.tid = 1;
      e.mem.push_back({0x10000 * s, big, false});
      w.add_event(e);
    }
    w.finish();
  }
  TraceReader r(p);
  Event e;
  std::vector<Event> read;
  for (uint64_t s = 1; s <= 5; s++) {
    ASSERT_TRUE(r.next(e));
    ASSERT_EQ(e.mem.size(), 1u);
    EXPECT_EQ(e.mem[0].addr, 0x10000 * s);
    EXPECT_TRUE(e.mem[0].bytes == big);
    read.push_back(e);
  }
  EXPECT_FALSE(r.next(e));
  EXPECT_EQ(r.blobs_decoded(), 1u);
  for (const Event& x : read) EXPECT_EQ(x.mem[0].bytes.data(), read[0].mem[0].bytes.data());
  read[1].mem[0].bytes.mut()[0] ^= 1;
  EXPECT_NE(read[1].mem[0].bytes.data(), read[0].mem[0].bytes.data());
  EXPECT_FALSE(read[1].mem[0].bytes == big);
  EXPECT_TRUE(read[0].mem[0].bytes == big);
  EXPECT_TRUE(read[2].mem[0].bytes == big);
  EXPECT_TRUE(r.event_at(3).mem.at(0).bytes == big);
  EXPECT_EQ(r.blobs_decoded(), 1u);
}

// A reader is used by one thread: its connection has no mutex to take on
// every column read (the cost replay paid per event).
TEST_F(TraceTest, ReaderConnectionTakesNoMutex) {
  TraceReader r(write_sample_trace("t.db", 3));
  EXPECT_EQ(sqlite3_db_mutex(r.db().get()), nullptr);
}

TEST_F(TraceTest, MappingsTasksAndBlobsRoundTrip) {
  std::string p = path("t.db");
  std::string lib = random_bytes(70000, 3);
  int64_t id;
  {
    TraceWriter w(p);
    id = w.put_blob(lib);
    EXPECT_GT(id, 0);
    w.add_mapping({7, 100, 0x7f0000000000ull, 0x11000, 0x1000, 5, 2, "/lib/x86_64-linux-gnu/libc.so.6", id});
    w.add_mapping({9, 101, 0x10000, 4096, 0, 3, 0x22, "", 0});
    w.add_task({100, 100, 1, 0, std::nullopt});
    w.add_task({101, 100, 100, 12, std::nullopt});
    w.add_task({102, 102, 100, 20, std::nullopt});
    w.set_task_exit(101, 0);
    w.set_task_exit(102, 0x8b);  // killed by SIGSEGV, core dumped
    // A recycled tid: the exit belongs to the latest task with it.
    w.add_task({101, 101, 0, 30, std::nullopt});
    w.set_task_exit(101, 3 << 8);
    w.set_task_parent(101, 102);  // its first stop came before 102's fork event
    w.finish();
  }
  TraceReader r(p);
  auto maps = r.mappings();
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(maps[0].seq, 7u);
  EXPECT_EQ(maps[0].tid, 100);
  EXPECT_EQ(maps[0].addr, 0x7f0000000000ull);
  EXPECT_EQ(maps[0].size, 0x11000u);
  EXPECT_EQ(maps[0].offset, 0x1000u);
  EXPECT_EQ(maps[0].prot, 5);
  EXPECT_EQ(maps[0].flags, 2);
  EXPECT_EQ(maps[0].path, "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(maps[0].blob, id);
  EXPECT_EQ(maps[1].path, "");
  EXPECT_EQ(maps[1].blob, 0);
  EXPECT_TRUE(r.blob(id) == lib);
  EXPECT_THROW(r.blob(id + 100), Error);

  auto tasks = r.tasks();
  ASSERT_EQ(tasks.size(), 4u);
  EXPECT_EQ(tasks[0].tid, 100);
  EXPECT_EQ(tasks[0].parent, 1);
  EXPECT_EQ(tasks[0].exit_status, std::nullopt);
  EXPECT_EQ(tasks[1].tid, 101);
  EXPECT_EQ(tasks[1].tgid, 100);
  EXPECT_EQ(tasks[1].first_seq, 12u);
  EXPECT_EQ(tasks[1].exit_status, 0);
  EXPECT_EQ(tasks[2].exit_status, 0x8b);
  EXPECT_EQ(tasks[3].tid, 101);
  EXPECT_EQ(tasks[3].first_seq, 30u);
  EXPECT_EQ(tasks[3].exit_status, 3 << 8);
  EXPECT_EQ(tasks[3].parent, 102);
  EXPECT_EQ(tasks[1].parent, 100);
}

// Events with only seq, entry_seq and tid set: the entry cursor's input.
struct EntryRow {
  uint64_t seq, entry;
  int32_t tid;
};
template <size_t N>
void write_entry_rows(const std::string& p, const EntryRow (&rows)[N]) {
  TraceWriter w(p);
  for (const auto& r : rows) {
    Event e;
    e.seq = r.seq;
    e.entry_seq = r.entry;
    e.tid = r.tid;
    w.add_event(e);
  }
  w.finish();
}

// Replay brings threads into their syscalls in entry order, which differs from
// completion order when calls overlap; events without an entry are skipped.
TEST_F(TraceTest, NextEntryFollowsEntryOrderIndependentlyOfNext) {
  std::string p = path("t.db");
  const EntryRow rows[] = {{1, 2, 10}, {2, 1, 11}, {3, 0, 10}, {4, 5, 12}, {5, 3, 10}, {6, 4, 11}};
  write_entry_rows(p, rows);
  TraceReader r(p);
  // Not {1, 11, 2}: event 2's own entry, right before it (the next test).
  const std::tuple<uint64_t, int32_t, uint64_t> want[] = {
      {2, 10, 1}, {3, 10, 5}, {4, 11, 6}, {5, 12, 4}};
  Event e;
  ASSERT_TRUE(r.next(e));  // the event cursor does not disturb the entry cursor
  EXPECT_EQ(e.seq, 1u);
  for (const auto& [we, wt, ws] : want) {
    uint64_t entry = 0, seq = 0;
    int32_t tid = 0;
    ASSERT_TRUE(r.next_entry(entry, tid, seq));
    EXPECT_EQ(entry, we);
    EXPECT_EQ(tid, wt);
    EXPECT_EQ(seq, ws);
  }
  uint64_t entry, seq;
  int32_t tid;
  EXPECT_FALSE(r.next_entry(entry, tid, seq));
  EXPECT_FALSE(r.next_entry(entry, tid, seq));  // stays at the end, does not start over
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 2u);
  for (int i = 0; i < 4; i++) ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 6u);
  EXPECT_FALSE(r.next(e));
  EXPECT_FALSE(r.next(e));  // replay peeks past the end of a cut trace
  r.rewind();
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 1u);
  ASSERT_TRUE(r.next_entry(entry, tid, seq));
  EXPECT_EQ(entry, 2u);
}

// One thread's calls: each entry is right before its event. The entry cursor
// leaves those out (replay takes them from the event, entry_is_own), so that
// it does not look up each one's row; the others it still yields, in order.
TEST_F(TraceTest, NextEntryLeavesOutEntriesRightBeforeTheirEvent) {
  std::string p = path("t.db");
  // Thread 11 enters at 3 and returns at 8, while thread 10 makes its calls.
  const EntryRow rows[] = {{2, 1, 10}, {5, 4, 10}, {7, 6, 10}, {8, 3, 11}, {9, 0, 10}, {11, 10, 10}};
  write_entry_rows(p, rows);
  TraceReader r(p);
  uint64_t entry = 0, seq = 0;
  int32_t tid = 0;
  ASSERT_TRUE(r.next_entry(entry, tid, seq));
  EXPECT_EQ(entry, 3u);
  EXPECT_EQ(tid, 11);
  EXPECT_EQ(seq, 8u);
  EXPECT_FALSE(r.next_entry(entry, tid, seq));
  std::vector<uint64_t> own;
  Event e;
  while (r.next(e))
    if (entry_is_own(e)) own.push_back(e.seq);
  EXPECT_EQ(own, (std::vector<uint64_t>{2, 5, 7, 11}));  // not 8 (entered at 3) nor 9 (no entry)
}

TEST_F(TraceTest, WriterReplacesAnExistingFile) {
  std::string p = path("t.db");
  write_file(p, "not a trace at all, and longer than nothing");
  {
    TraceWriter w(p);
    w.finish();
  }
  TraceReader r(p);
  EXPECT_EQ(r.count("events"), 0);
}

TEST_F(TraceTest, ManyEventsSpanSeveralCommits) {
  std::string p = path("t.db");
  const uint64_t n = 45000;  // more than one writer transaction
  {
    TraceWriter w(p);
    for (uint64_t s = 1; s <= n; s++) {
      Event e;
      e.seq = s;
      e.entry_seq = s;
      e.tid = 1;
      e.nr = 39;
      e.ret = static_cast<int64_t>(s);
      w.add_event(e);
    }
    w.finish();
  }
  TraceReader r(p);
  Event e;
  uint64_t seen = 0;
  while (r.next(e)) {
    seen++;
    ASSERT_EQ(e.seq, seen);
    ASSERT_EQ(e.ret, static_cast<int64_t>(seen));
  }
  EXPECT_EQ(seen, n);
}

// ---- rejection of files that are not usable traces ----

TEST_F(TraceTest, RejectsMissingFile) {
  EXPECT_THROW(TraceReader(path("missing.db")), Error);
}

TEST_F(TraceTest, RejectsEmptyFile) {
  write_file(path("empty.db"), "");
  EXPECT_THROW(TraceReader(path("empty.db")), Error);
}

TEST_F(TraceTest, RejectsNonSqliteFile) {
  write_file(path("text.db"), "hello, this is a text file\nwith two lines\n");
  EXPECT_THROW(TraceReader(path("text.db")), Error);
  write_file(path("noise.db"), random_bytes(200000, 9));
  EXPECT_THROW(TraceReader(path("noise.db")), Error);
}

TEST_F(TraceTest, RejectsSqliteFileThatIsNotATrace) {
  sql_exec(path("other.db"), "CREATE TABLE t(x); INSERT INTO t VALUES(1);");
  EXPECT_THROW(TraceReader(path("other.db")), Error);
}

TEST_F(TraceTest, RejectsTruncatedTrace) {
  std::string p = write_sample_trace("full.db");
  ASSERT_NO_THROW(TraceReader{p});
  std::string cut = path("cut.db");
  fs::copy_file(p, cut);
  fs::resize_file(cut, fs::file_size(p) / 2);
  EXPECT_THROW(TraceReader{cut}, Error);
}

// However the damage shows up (at open or while reading), it must be an Error.
TEST_F(TraceTest, TruncatedTraceNeverReadsAsValid) {
  std::string p = write_sample_trace("full.db", 3000);
  for (double frac : {0.9, 0.5, 0.1}) {
    std::string cut = path("cut.db");
    fs::remove(cut);
    fs::copy_file(p, cut);
    fs::resize_file(cut, static_cast<uintmax_t>(fs::file_size(p) * frac));
    EXPECT_THROW(
        {
          TraceReader r(cut);
          Event e;
          while (r.next(e)) {
          }
        },
        Error)
        << "cut to " << frac;
  }
}

// Damage only a walk of the whole file finds (here a NULL in a NOT NULL
// column of a table replay never reads): rp check lists what SQLite's
// quick_check reports. Opening stays cheap: replay does not walk the file.
TEST_F(TraceTest, CheckListsWhatSqliteQuickCheckFinds) {
  std::string p = write_sample_trace("t.db");
  const std::string want = "SQLite: NULL value in event_kinds.name";
  auto before = check_trace(p);  // (the sample lacks a real recording's meta)
  EXPECT_EQ(std::count(before.begin(), before.end(), want), 0);
  const std::string def = "CREATE TABLE event_kinds(kind INTEGER PRIMARY KEY, name TEXT NOT NULL)";
  auto set_def = [&](const std::string& sql) {
    sql_exec(p, "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql='" + sql +
                    "' WHERE name='event_kinds'");
  };
  set_def("CREATE TABLE event_kinds(kind INTEGER PRIMARY KEY, name TEXT)");
  sql_exec(p, "UPDATE event_kinds SET name=NULL WHERE kind=3");
  set_def(def);
  ASSERT_NO_THROW(TraceReader{p});
  auto after = check_trace(p);
  EXPECT_EQ(std::count(after.begin(), after.end(), want), 1);
  EXPECT_EQ(after.size(), before.size() + 1);
}

TEST_F(TraceTest, RejectsWrongFormatVersion) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "UPDATE meta SET value=" + std::to_string(kTraceVersion + 1) +
                  " WHERE key='format_version'");
  try {
    TraceReader r(p);
    FAIL() << "opened a trace of another format version";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("version"), std::string::npos) << e.what();
  }
  sql_exec(p, "DELETE FROM meta WHERE key='format_version'");
  EXPECT_THROW(TraceReader{p}, Error);
}

// Version 1 (before times): the same events table without t_entry/t_exit.
TEST_F(TraceTest, OpensVersionOneWithoutTimes) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "UPDATE meta SET value=2 WHERE key='format_version'");  // the events match: fine
  EXPECT_NO_THROW(TraceReader{p});
  sql_exec(p, "UPDATE meta SET value=1 WHERE key='format_version'");  // they do not
  EXPECT_THROW(TraceReader{p}, Error);
  sql_exec(p, "ALTER TABLE events DROP COLUMN t_exit; ALTER TABLE events DROP COLUMN t_entry");
  {
    TraceReader r(p);
    EXPECT_FALSE(r.has_times());
    Event e;
    ASSERT_TRUE(r.next(e));
    EXPECT_FALSE(e.t_entry);
    EXPECT_FALSE(e.t_exit);
  }
  sql_exec(p, "UPDATE meta SET value=2 WHERE key='format_version'");  // no times in version 2
  EXPECT_THROW(TraceReader{p}, Error);
}

TEST_F(TraceTest, RejectsIncompleteTrace) {
  std::string p = path("t.db");
  {
    TraceWriter w(p);
    Event e;
    e.seq = 1;
    w.add_event(e);
    // no finish(): the recorder died
  }
  EXPECT_EQ(sql_int(p, "SELECT count(*) FROM events"), 1);  // data is there ...
  try {
    TraceReader r(p);
    FAIL() << "opened an incomplete trace";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("incomplete"), std::string::npos) << e.what();
  }
}

TEST_F(TraceTest, IncompleteTraceOpensForReplayWhenAllowed) {
  std::string p = path("t.db");
  {
    TraceWriter w(p);
    for (uint64_t s = 1; s <= 2; s++) {
      Event e;
      e.seq = s;
      e.tid = 100;  // a valid tid: the reader validates every event
      w.add_event(e);
    }
  }
  TraceReader r(p, /*validate=*/true, /*allow_cut=*/true);
  EXPECT_TRUE(r.cut_short());
  Event e;
  ASSERT_TRUE(r.next(e));
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 2u);
  EXPECT_FALSE(r.next(e));
}

TEST_F(TraceTest, FinishedTraceMissingItsLastEventsIsDamaged) {
  std::string p = path("t.db");
  {
    TraceWriter w(p);
    for (uint64_t s = 1; s <= 3; s++) {
      Event e;
      e.seq = s;
      w.add_event(e);
    }
    w.finish();
  }
  EXPECT_FALSE(TraceReader(p).cut_short());
  sql_exec(p, "DELETE FROM events WHERE seq=3");
  try {
    TraceReader r(p, /*validate=*/true, /*allow_cut=*/true);
    FAIL() << "opened a trace whose last event was deleted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
  }
}

Event read_all(TraceReader& r) {
  Event e, last;
  while (r.next(e)) last = e;
  return last;
}

TEST_F(TraceTest, BlobWithAlteredBytesIsReportedDamaged) {
  std::string p = write_sample_trace("t.db");
  // Same compressed size, different content: zstd may or may not notice,
  // the content hash must.
  sql_exec(p, "UPDATE blobs SET data=randomblob(length(data))");
  TraceReader r(p);
  EXPECT_THROW(read_all(r), Error);
}

TEST_F(TraceTest, BlobWithValidButDifferentContentFailsTheHash) {
  std::string p = write_sample_trace("t.db");
  std::string other = random_bytes(1 << 20, 99);
  std::string packed = zstd_compress(other);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(p.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE blobs SET data=?", -1, &st, nullptr), SQLITE_OK);
  sqlite3_bind_blob(st, 1, packed.data(), static_cast<int>(packed.size()), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  TraceReader r(p);
  try {
    read_all(r);
    FAIL() << "read a blob whose content does not match its hash";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
  }
}

TEST_F(TraceTest, BlobWithAbsurdSizeIsAnErrorNotAnAllocationFailure) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "UPDATE blobs SET size=-1");
  TraceReader r(p);
  EXPECT_THROW(read_all(r), Error);
}

TEST_F(TraceTest, MissingBlobIsAnError) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "DELETE FROM blobs");
  TraceReader r(p);
  EXPECT_THROW(read_all(r), Error);
}

TEST_F(TraceTest, InlineMemorySizeMismatchIsAnError) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "UPDATE mem SET size=size+1 WHERE seq=3");
  TraceReader r(p);
  EXPECT_THROW(read_all(r), Error);
}

TEST_F(TraceTest, MemoryOfAMissingEventIsAnError) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "DELETE FROM events WHERE seq=3");
  // Now caught when the trace is opened (its event count), at the latest when read.
  EXPECT_THROW(
      {
        TraceReader r(p);
        read_all(r);
      },
      Error);
}

TEST_F(TraceTest, UnknownEventKindIsAnError) {
  std::string p = write_sample_trace("t.db");
  sql_exec(p, "UPDATE events SET kind=77 WHERE seq=4");
  TraceReader r(p);
  EXPECT_THROW(read_all(r), Error);
}

// Replay reads events and entries on threads of their own (read_ahead):
// the same rows as the reader's own cursors, memory and blobs included;
// without the entries' reader, the entries from the reader's own cursor.
TEST_F(TraceTest, ReadAheadGivesTheSameEventsAndEntries) {
  std::string p = write_sample_trace("t.db", 3000);
  // Most calls entered right before they returned; every 7th before the call
  // before it, which the entry cursor yields (as it does the first's, at 0).
  sql_exec(p, "UPDATE events SET entry_seq = seq - 1 - (seq % 7 = 0)");
  for (auto what : {TraceReader::Ahead::kEvents, TraceReader::Ahead::kEventsAndEntries}) {
    SCOPED_TRACE(what == TraceReader::Ahead::kEvents ? "events" : "events and entries");
    TraceReader plain(p), ahead(p);
    ahead.read_ahead(what);
    Event a, b;
    size_t n = 0;
    for (bool more = true; more; n++) {
      more = plain.next(a);
      ASSERT_EQ(ahead.next(b), more);
      if (!more) break;
      ASSERT_EQ(b.seq, a.seq);
      ASSERT_EQ(b.entry_seq, a.entry_seq);
      ASSERT_EQ(b.ret, a.ret);
      ASSERT_EQ(b.mem.size(), a.mem.size());
      for (size_t i = 0; i < a.mem.size(); i++) ASSERT_EQ(b.mem[i].bytes, a.mem[i].bytes);
    }
    EXPECT_EQ(n, 3000u);
    EXPECT_FALSE(ahead.next(b));
    uint64_t es1, s1, es2, s2;
    int32_t t1, t2;
    size_t entries = 0;
    while (plain.next_entry(es1, t1, s1)) {
      ASSERT_TRUE(ahead.next_entry(es2, t2, s2));
      ASSERT_EQ(std::tie(es2, t2, s2), std::tie(es1, t1, s1));
      entries++;
    }
    EXPECT_FALSE(ahead.next_entry(es2, t2, s2));
    EXPECT_EQ(entries, 1u + 428u);  // seq 1; 7, 14, ... 2996
  }
}

// A damaged row read ahead is reported when replay reaches it, as without
// reading ahead: the events before it replay.
TEST_F(TraceTest, ReadAheadReportsADamagedRowWhereItIs) {
  std::string p = write_sample_trace("t.db", 3000);
  sql_exec(p, "UPDATE events SET kind=77 WHERE seq=2500");
  TraceReader r(p);
  r.read_ahead(TraceReader::Ahead::kEvents);
  Event e;
  for (uint64_t want = 1; want < 2500; want++) {
    ASSERT_TRUE(r.next(e));
    ASSERT_EQ(e.seq, want);
  }
  try {
    r.next(e);
    FAIL() << "no error";
  } catch (const Error& x) {
    EXPECT_NE(std::string(x.what()).find("event 2500: unknown kind 77"), std::string::npos)
        << x.what();
  }
}

TEST(Blob, HashAndCompressionRoundTrip) {
  std::string a = random_bytes(100000, 5), b = a;
  b[50000] ^= 1;
  EXPECT_EQ(hash128(a).size(), 16u);
  EXPECT_EQ(hash128(a), hash128(std::string(a)));
  EXPECT_NE(hash128(a), hash128(b));
  EXPECT_NE(hash64(a), hash64(b));
  EXPECT_EQ(zstd_decompress(zstd_compress(a), a.size()), a);
  EXPECT_EQ(zstd_decompress(zstd_compress(""), 0), "");
  std::string zeros(1 << 20, '\0');
  EXPECT_LT(zstd_compress(zeros).size(), 1000u);
  EXPECT_THROW(zstd_decompress(zstd_compress(a), a.size() + 1), Error);
  EXPECT_THROW(zstd_decompress("garbage", 10), Error);
}

}  // namespace
}  // namespace rp
