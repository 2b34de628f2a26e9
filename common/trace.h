// The trace: one SQLite file. Schema in docs/trace-format.md; kTraceVersion is
// checked on open. TraceWriter batches inserts in large transactions;
// TraceReader streams events in global order with the memory they carry.
#pragma once
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "refused_calls.h"
#include "rp_abi.h"
#include "shared_bytes.h"
#include "sqlite.h"

namespace rp {

class RecoveredTrace;
template <typename T>
class ReadAhead;

// 2: events.t_entry/t_exit and meta clock_realtime/clock_monotonic (times).
// 3: a signal's at_syscall may be kAtSyscallRestarted (an older rp would
// not restart that call in replay). Versions 1 (no times: they show none)
// and 2 (never a restarted signal) still open.
// 4: a switch point's memory digest holds 64-bit sums (version 3's 32-bit
// ones, still read, collide in long searches).
// 5: a fork's syscall event may carry where the kernel had copied the
// memory (fork_copy.h: extra 'forkcopy:N'), which an older rp refuses.
// 6: a signal event's disposition may be kSigHeld (an older rp would
// deliver the signal there).
constexpr int kTraceVersion = 6;
constexpr int kTraceVersionNoTimes = 1;
constexpr int kTraceVersionNoRestarts = 2;
constexpr int kTraceVersionNarrowDigest = 3;
constexpr int kTraceVersionNoForkCopy = 4;
constexpr int kTraceVersionNoHeldFaults = 5;

enum class EventKind : int {
  kSyscall = 1,   // nr, args, ret; mem = bytes the kernel wrote (and input strings)
  kSignal = 2,    // nr = signo; extra = SignalExtra
  kTaskExit = 3,  // ret = wait status of the task; no mem
  kPreempt = 4,   // rp switched threads in user code; extra = SignalExtra (regs)
  kInsn = 5,      // a trapped instruction (nr = TrappedInsn); x86_64: args[0..3] = rax rdx rcx
                  // rbx; arm64 counter read: args[0..2] = value, pc, Xt
};
const char* event_kind_name(EventKind k);
int64_t clock_ns(clockid_t clock);  // clock_gettime in ns (event times, meta)
const char* legacy_events_schema();  // the events table of version 1 traces (no times)
const char* trace_schema();  // the SQL that creates a trace's tables (kTraceVersion)
const char* snapshot_schema();  // the snapshot tables, only in attach recordings (snapshot.h)

struct MemRecord {
  uint64_t addr = 0;
  SharedBytes bytes;
  bool input = false;  // bytes the syscall read (paths), recorded for dump and checks
};

struct Event {
  uint64_t seq = 0;        // global order: when the event completed
  uint64_t entry_seq = 0;  // syscalls: global order of their entry (0: not recorded)
  int32_t tid = 0;
  EventKind kind = EventKind::kSyscall;
  int64_t nr = 0;
  uint64_t args[6] = {};
  int64_t ret = 0;
  std::optional<uint64_t> in_hash;  // hash of the bytes a write-like syscall sent
  std::string extra;                // kind-specific payload, see docs/trace-format.md
  std::vector<MemRecord> mem;
  // CLOCK_MONOTONIC ns at the syscall's entry and exit (or the stop of other
  // events); absent in traces without times and where a backend saw no entry.
  std::optional<int64_t> t_entry, t_exit;
  // When it began (a syscall's entry) or ended (its exit), each the other
  // where that one is missing (the stop of other events has only t_exit).
  std::optional<int64_t> began_ns() const { return t_entry ? t_entry : t_exit; }
  std::optional<int64_t> ended_ns() const { return t_exit ? t_exit : t_entry; }
};

// extra of a syscall event the thread never returned from (it died in it).
inline constexpr const char* kNoReturn = "noreturn";
// A call its tracer (the program's own, emulated ptrace) made in its place
// (PTRACE_SYSEMU): skipped in the kernel, its result the tracer's. Replay
// emulates it, whatever the call's policy.
inline constexpr const char* kEmulatedByTracer = "tracer-emulated";
// Whether e is such a call: the kernel did nothing of it (no descriptor made,
// no output echoed, no clone or exec to run), whatever its number says.
inline bool made_by_tracer(const Event& e) { return e.extra == kEmulatedByTracer; }
// A call rp itself made in the program, between two of the program's own
// (x86_64: arch_prctl(ARCH_SET_CPUID, 0) after each exec, cpuid_trap.h).
// Replay makes it again at the same point.
inline constexpr const char* kMadeByRp = "rp-call";
inline bool made_by_rp(const Event& e) { return e.extra == kMadeByRp; }

// kSigHeld: not a delivery. The thread stopped with a fault of its own
// there, held for its tracer (the program's own, emulated ptrace), which
// decides later; replay brings it to that fault and holds it there.
enum SignalDisposition : uint32_t {
  kSigDefault = 0,
  kSigIgnored = 1,
  kSigCaught = 2,
  kSigHeld = 3,
};
// Signals whose default action is to do nothing (SIGCONT's continuing is
// done when it is sent, not when it is delivered).
inline bool ignored_by_default(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}
// A fault of the thread's own instruction (si_code > 0: raised by the CPU
// through the kernel, not sent), which it raises again when run to the
// same instruction.
inline bool own_fault(int sig, int32_t si_code) {
  const bool fault_sig = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                         sig == SIGTRAP;
  return fault_sig && si_code > 0;
}
// SignalExtra::at_syscall: delivered on return from the thread's previous
// syscall, which returned EINTR only because rp traces the thread (the
// kernel queues ignored signals for a tracer), and which the recorder then
// restarted, as the kernel restarts calls for a signal without a handler.
constexpr uint32_t kAtSyscallRestarted = 2;

// extra of a kSignal event.
struct SignalExtra {
  uint8_t siginfo[128];
  uint32_t at_syscall;   // 1: delivered on return from the thread's previous syscall; or kAtSyscallRestarted
  uint32_t disposition;  // kSigDefault, kSigIgnored or kSigCaught when it was delivered; or kSigHeld
  uint8_t regs[27 * 8 * 2];  // raw register set at delivery (arch-specific, zero padded)
};

// The recorded siginfo's si_code.
inline int32_t signal_code(const SignalExtra& x) {
  int32_t code;
  std::memcpy(&code, x.siginfo + 8, 4);
  return code;
}

struct Mapping {
  uint64_t seq = 0;
  int32_t tid = 0;
  uint64_t addr = 0, size = 0, offset = 0;
  int64_t prot = 0, flags = 0;
  std::string path;
  int64_t blob = 0;  // 0: none
};

// A file the kernel opened at an execve (program, interpreters), stored so
// replay needs nothing from the recording machine's filesystem.
struct StoredFile {
  std::string path;
  int64_t blob = 0;
  int64_t mode = 0755;
};

// The list kind of namespace_tids.
constexpr const char* kNamespaceTids = "namespace_tids";
// The list kind of the code each counter-read sweep of the recording took
// (counter_patch.h, format_code_sweep), in the order of the sweeps; present
// when meta kCounterCodeNoted is.
constexpr const char* kCounterCode = "counter_code";
constexpr const char* kCounterCodeNoted = "counter_code_noted";

struct TaskInfo {
  int32_t tid = 0, tgid = 0, parent = 0;
  uint64_t first_seq = 0;
  std::optional<int64_t> exit_status;  // wait status
};

class TraceWriter {
 public:
  // Creates (replaces) the file; an empty regular file is kept (its mode too).
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();
  void set_meta(const std::string& key, const std::string& value);
  void set_meta(const std::string& key, int64_t value);
  void set_list(const std::string& kind, const std::vector<std::string>& values);
  // One more item of a list kind no set_list writes (its index: the next).
  void add_list_item(const std::string& kind, const std::string& value);
  void add_event(const Event& e);
  void add_mapping(const Mapping& m);
  void add_task(const TaskInfo& t);
  void set_task_exit(int32_t tid, int64_t status);
  // The creator of a task added with parent 0 (its first stop came first).
  void set_task_parent(int32_t tid, int32_t parent);
  // Stores an exec'd file once per path (the first version seen wins).
  void add_file(const std::string& path, const std::string& bytes, int64_t mode);
  // Stores bytes once per content hash; returns the blob id.
  int64_t put_blob(const std::string& bytes);
  // Commits what is written so far: a recording cut short later (rp killed,
  // disk full) still leaves a trace replay can run up to its cut.
  void checkpoint();
  void finish();  // commits, writes counts, leaves a self-contained file
  uint64_t events_written() const { return events_; }
  const RefusedCalls& refused_calls() const { return refused_; }
  // The flight recorder (record/ring.h) deleted `n` events: the count
  // finish() writes is of the events the trace still holds.
  void events_dropped(uint64_t n) { events_ -= n; }
  sql::Db& db() { return *db_; }  // for tables written elsewhere (snapshot.cc)

 private:
  void maybe_commit();
  std::unique_ptr<sql::Db> db_;
  std::unique_ptr<sql::Stmt> ins_event_, ins_mem_, ins_blob_, find_blob_, ins_map_, ins_task_,
      upd_task_, ins_meta_;
  uint64_t events_ = 0, since_commit_ = 0, bytes_since_commit_ = 0;
  bool finished_ = false;
  std::set<std::string> files_;
  std::map<std::string, int64_t> list_next_;  // add_list_item's next index, by kind
  RefusedCalls refused_;
};

// Whether e's syscall entry is the position right before e (nothing was
// recorded in between): TraceReader::next_entry leaves such entries out, and
// the event carries it (entry_seq, tid, seq).
inline bool entry_is_own(const Event& e) { return e.entry_seq && e.entry_seq + 1 == e.seq; }

// The SignalExtra of a kSignal or kPreempt event; nullopt when its extra is
// too short to hold one (a damaged record: each caller decides what that means).
inline std::optional<SignalExtra> signal_extra(const Event& e) {
  if (e.extra.size() < sizeof(SignalExtra)) return std::nullopt;
  SignalExtra x;
  std::memcpy(&x, e.extra.data(), sizeof x);
  return x;
}

// The writer's side of signal_extra: a SignalExtra holding a raw register
// set (its other fields zero), and the extra bytes of an event holding x.
template <class RawRegSet>
SignalExtra signal_extra_with_regs(const RawRegSet& regs) {
  static_assert(sizeof regs <= sizeof(SignalExtra::regs));
  SignalExtra x{};
  std::memcpy(x.regs, &regs, sizeof regs);
  return x;
}
inline void set_signal_extra(Event& e, const SignalExtra& x) {
  e.extra.assign(reinterpret_cast<const char*>(&x), sizeof x);
}

// The extra of an event at an asynchronous point (a kPreempt, a kSignal
// delivered in user code): its SignalExtra, then the point's memory digest
// (rp_abi.h; none in a trace recorded before rp took it).
inline void set_point_extra(Event& e, const SignalExtra& x, const rp_point_digest& d) {
  set_signal_extra(e, x);
  e.extra.append(reinterpret_cast<const char*>(&d), sizeof d);
}

// The digest as rp wrote it before it kept 64-bit sums (format version 3).
struct NarrowPointDigest {
  uint32_t mask, pad;
  uint32_t sum[RP_DIGEST_REGS];
};

// e's digest; an old trace's narrow one widened with `narrow` set. nullopt:
// none (a trace from before rp took it, or an event at no point).
std::optional<rp_point_digest> point_digest(const Event& e);

class TraceReader {
 public:
  // Throws rp::Error with a one-line reason if the file is not a usable trace:
  // not SQLite, damaged, or any problem check_trace_header finds. With
  // `validate` false only the first two (for `rp check`, which lists problems).
  // A trace whose recording was cut short (rp killed, disk full, crash) is
  // refused unless allow_cut: replay runs it up to its last event and says so.
  explicit TraceReader(const std::string& path, bool validate = true, bool allow_cut = false);
  ~TraceReader();
  const std::string& path() const { return path_; }
  sql::Db& db() { return *db_; }
  bool cut_short() const { return cut_short_; }
  std::optional<std::string> meta(const std::string& key);
  std::string meta_or(const std::string& key, const std::string& dflt);
  // An integer meta value in [lo, hi]; `dflt` if the key is missing. Throws
  // rp::Error naming the trace and the key if it is not such an integer.
  int64_t meta_int(const std::string& key, int64_t dflt, int64_t lo, int64_t hi);
  std::vector<std::string> list(const std::string& kind);
  std::vector<TaskInfo> tasks();
  // The tid each task had in its own pid namespace, for the tasks recorded
  // in another namespace than rp's (list kind kNamespaceTids: "TID NSTID"):
  // by recorded tid. Throws for an item that is not two tids.
  std::map<int32_t, int32_t> namespace_tids();
  std::vector<Mapping> mappings();
  std::vector<StoredFile> files();
  std::string blob(int64_t id);
  void verify_blobs();  // throws if any blob's bytes do not match its hash
  // What SQLite's PRAGMA quick_check finds in the file's structure (pages,
  // cells, row order, NOT NULL), one line each; empty if nothing. A walk of
  // the whole file: rp check's, not every open's.
  std::vector<std::string> structure_problems();
  int64_t count(const char* table);
  // Streams events in seq order; false at the end.
  bool next(Event& e);
  // Streams syscall entries in entry_seq order (a second, independent cursor):
  // replay brings threads into their syscalls in this order. Except the
  // entries right before their own event (entry_is_own), which are read
  // with the event instead: most calls of most programs.
  bool next_entry(uint64_t& entry_seq, int32_t& tid, uint64_t& seq);
  // One event by seq, with its memory (random access, independent of next()).
  Event event_at(uint64_t seq);
  // Whether a thread of tid's process has an event after `seq` other than
  // its end (a syscall, signal, switch or trapped instruction): it ran on.
  bool process_acts_after(int32_t tid, uint64_t seq);
  // The syscall events with these numbers, in order, without their memory:
  // a scan much cheaper than next() over a whole trace.
  std::vector<Event> syscalls_with(const std::vector<int64_t>& nrs);
  // The events of these kinds (signals, preemptions...), likewise.
  std::vector<Event> events_of_kinds(const std::vector<EventKind>& kinds);
  // Both in one scan (each scan of a large trace costs about as much as the
  // other reads of the replay's start together).
  std::vector<Event> syscalls_with_or_kinds(const std::vector<int64_t>& nrs,
                                            const std::vector<EventKind>& kinds);
  // Whether the events table has the time columns (format version 2 on).
  bool has_times();
  // Back to the first event (and entry); stops reading ahead.
  void rewind();
  // From here on, next() (and next_entry(), with `entries`) take their rows
  // from threads that read them ahead, each on a connection of its own to
  // the same file (read_ahead.h): the same rows, and the same errors at the
  // same place. Replay calls it before its first event; rp dump, which
  // reads no entries, without them (a reader nobody takes from would fill
  // its bound).
  enum class Ahead { kEvents, kEventsAndEntries };
  void read_ahead(Ahead what);
  // How many blobs next() and event_at() decompressed and checked (each
  // distinct blob once while it stays in the cache; not counting those of
  // read_ahead's readers).
  uint64_t blobs_decoded() const { return blobs_decoded_; }

 private:
  static constexpr size_t kBlobCacheBytes = 64 << 20;
  SharedBytes cached_blob(int64_t id);
  std::string event_columns();
  // The events matching an SQL condition on the events table, in seq order,
  // without their memory.
  std::vector<Event> events_where(const std::string& condition);
  void resolve_mem(sql::Stmt& st, MemRecord& m);
  void read_event_row(sql::Stmt& st, Event& e);
  [[noreturn]] void fail(const std::string& what) const;
  std::optional<uint64_t> first_hole();
  // The reader read_ahead() streams from: of's file on a connection of its own.
  struct Twin {};
  TraceReader(const TraceReader& of, Twin);
  void open_db(const std::string& file);
  std::string path_;
  std::unique_ptr<RecoveredTrace> source_;  // what db_ has open
  std::unique_ptr<sql::Db> db_;
  struct EntryRow {
    uint64_t entry_seq, seq;
    int32_t tid;
  };
  std::unique_ptr<ReadAhead<Event>> events_ahead_;
  std::unique_ptr<ReadAhead<EntryRow>> entries_ahead_;
  std::unique_ptr<sql::Stmt> events_, mem_, entries_;
  bool mem_pending_ = false;
  bool events_done_ = false, entries_done_ = false;  // next / next_entry reached the end
  std::unordered_map<int64_t, SharedBytes> blob_cache_;  // id -> its checked bytes
  size_t blob_cache_bytes_ = 0;
  uint64_t blobs_decoded_ = 0;
  bool cut_short_ = false;
  // A cut trace ends at its first hole in the sequence numbers: a recorder
  // killed with a backlog can leave later records (an exit) without the ones
  // before them, which replay would take for a different run.
  std::optional<uint64_t> cut_after_;
};

}  // namespace rp
