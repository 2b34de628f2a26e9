// Kernel-side syscall capture, backend-neutral.
//
// A kernel producer (the eBPF program in record/bpf/, or the kernel module
// behind /dev/rp) records every syscall of the traced processes as rp_rec_*
// records (common/rp_abi.h). The ptrace supervisor runs alongside in
// events-only mode (PtraceRecorder::set_events_only): no syscall stops, only
// forks, execs, signals, trapped instructions and thread exits, and threads
// run in parallel. Both sides take sequence numbers from one counter
// (KernelProducer::next_seq), so the trace keeps one global order.
//
// Nothing is dropped: when the producer cannot finish a syscall's record in
// kernel context (no ring space, a user page not present, bytes it never
// copies such as a fresh file mapping), it parks the record and stops the
// thread with SIGSTOP. The supervisor sees the stop, takes the record
// (take_stalled), reads the buffers from the stopped thread with
// process_vm_readv and resumes it without the signal.
//
// Threads: the tracer thread (ptrace and stalls), a drain thread (producer ->
// RecordDecoder, in batches) and a writer thread (SQLite, large transactions).
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kernel_copy.h"
#include "region_read.h"
#include "rp_abi.h"
#include "raw_chunk.h"
#include "spill_file.h"
#include "trace.h"
#include "unique_fd.h"

namespace rp {

// Called for each record in ring order: rec points to an rp_rec_hdr, size is
// what the producer holds for it (>= hdr.size).
using RecordFn = std::function<void(const void* rec, size_t size)>;

// The kernel backends' ring, unless RP_RING_MB says otherwise. Not larger:
// on the VMs measured, the producer's copies into a 64 MiB ring ran at half
// the speed of copies into 16 MiB (64 KiB reads: docs/performance.md).
constexpr uint64_t kDefaultRingMiB = 16;
// How much the ring holds before the producer wakes the drain thread: in
// batches, long before the ring is full (1/8 of it), and at most 2 MiB, which
// the drain thread hands on as one chunk.
constexpr uint64_t ring_wake_bytes(uint64_t ring_bytes) {
  return ring_bytes / 8 < (uint64_t{2} << 20) ? ring_bytes / 8 : uint64_t{2} << 20;
}

// What a kernel-side producer provides. The kernel-module producer (/dev/rp)
// implements the same interface; see make_kmod_producer.
class KernelProducer {
 public:
  struct Counters {
    uint64_t records = 0, bytes = 0;
    uint64_t ring_full = 0;    // times the ring had no room
    uint64_t copy_faults = 0;  // user copies that failed in kernel context
    uint64_t stalls = 0;       // threads stopped for user space to finish a record
    uint64_t lost = 0;         // records the producer could not keep at all
    uint64_t switches = 0;     // RP_REC_SWITCH records (thread switches in user code)
    // Wake-ups of the drain thread the producer forced (batched: about one
    // per ring_wake_bytes); none: the producer does not count them.
    std::optional<uint64_t> wakeups;
  };
  virtual ~KernelProducer() = default;
  virtual std::string name() const = 0;  // the trace's meta "backend"
  // Captures process tgid from now on; its children are added at fork.
  virtual void trace_tgid(pid_t tgid) = 0;
  // Takes one number from the global sequence counter the kernel side uses;
  // last_seq is the latest handed out.
  virtual uint64_t next_seq() = 0;
  virtual uint64_t last_seq() = 0;
  // Waits up to timeout_ms for records, then hands over every record pending
  // now. Returns how many. Drain thread only.
  virtual size_t drain(int timeout_ms, const RecordFn& fn) = 0;
  // The parked syscall record of a thread the producer stopped, removed from
  // the producer; nullopt if tid has none. Tracer thread only.
  virtual std::optional<rp_rec_syscall> take_stalled(pid_t tid) = 0;
  virtual std::vector<rp_rec_syscall> take_all_stalled() = 0;
  // The sequence number the kernel side gave thread tid's exit, just before
  // it cleared its tid for pthread_join, removed. Tracer thread. 0: none, the
  // supervisor numbers the exit when it reaps the thread, which is too late
  // when another thread waits in pthread_join (replay may then diverge).
  virtual uint64_t take_exit_seq(pid_t /*tid*/) { return 0; }
  // The sequence number the kernel side took when thread tid entered the
  // signal stop it is in now (its signal event's place among the switches),
  // and the memory digest it took then, removed; seq 0: none. Tracer thread,
  // after a ptrace request on the stop.
  virtual rp_stop_point take_stop(pid_t /*tid*/) { return {}; }
  // The sequence number the kernel side took for the entry of the call
  // thread tid is at the entry stop of (rp_switch_rules.h,
  // rp_stop_numbers_entry), removed; 0: none (a module older than it). For a
  // call the supervisor answers there, which has no sys_enter to take it.
  // Tracer thread, after a ptrace request on the stop.
  virtual uint64_t take_entry_stop(pid_t /*tid*/) { return 0; }
  // Process tgid was forked from a traced one for rp's own use (a
  // snapshot's frozen copy, record/cow_copy.h) and is held in its first
  // stop: captured no more, so that its death takes no number and leaves no
  // state behind (the number its first stop took, if any, is one of the
  // snapshot's injected calls'). False: this producer cannot (the copy would
  // then be recorded: it is ended unread, and the process read while held).
  virtual bool forget_process(pid_t /*tgid*/) { return false; }
  // True (once) if the producer stopped tid because its sched_setaffinity
  // succeeded: the supervisor pins the recording back (record/cpu_pin.h).
  virtual bool take_repin(pid_t /*tid*/) { return false; }
  // The path thread tid passed to the execve it is in (seen at sys_enter),
  // or "" if unknown. Tracer thread, at the exec stop.
  virtual std::string exec_path(pid_t /*tid*/) { return ""; }
  // The program's stdout and stderr: a producer that can hands a kernel-copy
  // call into them to user space (common/kernel_copy.h). Tracer thread, before
  // the program runs.
  virtual void set_outputs(const OutputFiles& /*out*/) {}
  // No record is produced once this returns (records already made stay
  // drainable).
  virtual void stop() = 0;
  virtual Counters counters() = 0;
};

// The kernel-module producer (record/kmod_backend.cc): /dev/rp. comm
// non-empty: every task with that comm instead of trace_tgid's tree. Throws
// rp::Error if the module is not loaded or cannot be used.
std::unique_ptr<KernelProducer> make_kmod_producer(size_t ring_bytes, bool stall,
                                                   const std::string& comm);

// The producer for `rp record --backend=WANT`, or nullptr for ptrace. auto:
// the kernel module when /dev/rp exists, else eBPF when permitted (root, or
// CAP_BPF and CAP_PERFMON), else ptrace; *chosen says which. stall: a ptrace
// supervisor completes parked records; comm: trace by command name. The ring
// size is RP_RING_MB (MiB, default kDefaultRingMiB). Throws rp::Error for unknown names
// and for an explicit backend that cannot be used.
std::unique_ptr<KernelProducer> open_backend(const std::string& want, bool stall,
                                             const std::string& comm, bool quiet,
                                             std::string* chosen);

// `rp record --name COMM` (pid 0) or a process (pid): kernel capture only,
// no ptrace, until the process exits or rp gets SIGINT/SIGTERM (`rp record
// -p` itself is record/attach.cc, replayable). The trace holds syscalls and
// their data but not the process's state before it, so it can be inspected
// (rp dump, rp info) but not replayed.
int record_observe(const std::string& out, const std::string& backend, pid_t pid,
                   const std::string& comm, bool quiet);

// Turns rp_rec_* records into trace events. A syscall's records may arrive in
// any order (the eBPF program writes its data first and the syscall record
// last, the kernel module the syscall record first); an event is complete
// when its syscall record and its ndata data records are in. Data chunks of
// one region are joined back into one memory record.
class RecordDecoder {
 public:
  struct Out {
    Event event;
    std::optional<Mapping> mapping;  // a file mmap: its bytes are event.mem[mapping_mem]
    size_t mapping_mem = 0;
    uint32_t tgid = 0;
  };
  struct Stats {
    uint64_t records = 0, events = 0;
    uint64_t malformed = 0;   // records rp cannot parse
    uint64_t incomplete = 0;  // syscalls still missing records at finish()
    uint64_t orphans = 0;     // data whose syscall record never came
    uint64_t tseq_gaps = 0;   // per-thread sequence numbers never seen
    uint64_t missing = 0;     // syscall records marked RP_SYSF_DATA_MISSING
    uint64_t unknown_syscalls = 0, unknown_ioctls = 0;
    uint64_t switches = 0;    // RP_REC_SWITCH records turned into kPreempt events
    bool tseq_mixed = false;  // a tid's numbers went back (not to 1): gaps unknown
  };
  void feed(const void* rec, size_t size, std::vector<Out>& out);
  // The syscall was completed elsewhere (user space read the stopped thread):
  // its data records, already here or still to come, are dropped.
  void completed_elsewhere(const rp_rec_syscall& r);
  // Counts what never completed; call once, after the last feed.
  void finish();
  const Stats& stats() const { return stats_; }
  // The wait status of process tgid's last exit record, if one came (the
  // kernel writes them where no ptrace supervisor sees exits: rp record -p).
  std::optional<int64_t> exit_status(uint32_t tgid) const;
  // Records lost for good: malformed ones, gaps, incomplete syscalls, orphan
  // data. None when the gaps cannot be counted: one tid's sequence numbers
  // came from two threads that were not told apart (tseq_mixed).
  std::optional<uint64_t> lost() const {
    if (stats_.tseq_mixed) return std::nullopt;
    return stats_.malformed + stats_.incomplete + stats_.orphans + stats_.tseq_gaps;
  }
  // Any thread: non-leader thread `former` exec'd and goes on under the
  // leader's tid. Said before it leaves its exec stop, so before its execve
  // record exists: from that record on, tid's numbers continue former's.
  void thread_took_over(uint32_t former, uint32_t tid);

 private:
  // A data record that arrived before those of lower ordinal (RP_DATA_INDEX).
  struct EarlyData {
    rp_rec_data d;
    std::string payload;
  };
  struct Pending {
    bool have_sys = false;
    rp_rec_syscall sys{};
    uint32_t ndata = 0;
    uint32_t next_ordinal = 0;  // of the next data record to take, mod 2^16
    std::map<uint32_t, EarlyData> early;  // by ordinal
    std::vector<MemRecord> mem;
    std::vector<uint32_t> mem_idx;  // descriptor (out_index's low bits) of each mem record
    std::string input;
    bool has_input = false;
  };
  struct ThreadSeq {
    uint64_t max = 0, seen = 0;
    uint64_t last_seq = 0;    // the highest global number among its records
    uint64_t gaps() const { return max > seen ? max - seen : 0; }
  };
  bool add_packed(Pending& p, const rp_rec_syscall& r, const char* rec);
  void add_data(Pending& p, const rp_rec_data& d, const char* payload);
  void take_data(Pending& p, const rp_rec_data& d, const char* payload);
  void complete(Pending& p, std::vector<Out>& out);
  void note_fork_copy(Event& e);
  void note_tseq(const rp_rec_syscall& r);
  std::unordered_map<uint64_t, Pending> pending_;
  std::unordered_set<uint64_t> dropped_;
  std::unordered_map<uint32_t, ThreadSeq> tseq_;
  std::mutex takeover_mu_;
  std::unordered_map<uint32_t, uint32_t> takeovers_;  // leader tid -> former tid
  std::unordered_map<uint32_t, int64_t> exits_;  // tgid -> wait status
  std::unordered_map<uint32_t, uint64_t> fork_copies_;  // forking tid -> RP_TASK_FORK's seq
  Stats stats_;
};

// Builds a syscall event from a parked record by reading the stopped thread
// tid: the same regions as the ptrace backend (common/buffers.cc), plus the
// AT_RANDOM bytes after execve and the contents of a file mapping.
RecordDecoder::Out event_from_tracee(const rp_rec_syscall& r, pid_t tid, RegionLoss& loss,
                                     const OutputFiles& out, const EntryPeek* peek = nullptr);

// Writes meta lost_records: the count, or "unknown" when it cannot be known.
void set_lost_meta(TraceWriter& w, std::optional<uint64_t> lost);

// What PtraceRecorder needs in events-only mode.
class EventsOnlyHooks {
 public:
  virtual ~EventsOnlyHooks() = default;
  virtual uint64_t next_seq() = 0;
  virtual uint64_t last_seq() = 0;
  // The number of tid's exit (0: take a new one when it is reaped).
  virtual uint64_t exit_seq(pid_t tid) = 0;
  // The number of the signal stop tid is in (seq 0: take a new one), and
  // its memory digest when the kernel side took one.
  virtual rp_stop_point stop_point(pid_t tid) = 0;
  // KernelProducer::take_entry_stop.
  virtual uint64_t entry_stop_seq(pid_t tid) = 0;
  // The path of the execve tid is stopped in (PTRACE_EVENT_EXEC), or "".
  virtual std::string exec_path(pid_t tid) = 0;
  // At each exec stop of tid (writer lock held), for its successful execve's
  // event, which the writer meets later, maybe after the next exec's stop:
  // the kernel's name for the program (AT_EXECFN; "": none), since the
  // producer copies execve's path at entry without faulting pages in and may
  // have missed it; and what replay must put back on the new stack (its
  // auxv's identity words, record/exec_identity.h). `rp_call_follows`: rp
  // makes a call of its own in the thread right after the execve (cpuid
  // faulting, cpuid_trap.h); the producer records it, the writer marks it
  // as rp's (kMadeByRp).
  virtual void note_exec(pid_t tid, const std::string& name, std::vector<MemRecord> outputs,
                         bool rp_call_follows) = 0;
  // At the exec stop of a thread that was not the leader (former: its tid
  // before; tid: the leader's, which it now has).
  virtual void note_thread_takeover(pid_t former, pid_t tid) = 0;
  // At tid's seccomp stop in splice (kSpliceTrap): what its source pipe held
  // (kernel_copy.h peek_splice_source), for the stall at its exit; none
  // forgets an earlier call's.
  virtual void note_copy_peek(pid_t tid, std::optional<EntryPeek> peek) = 0;
  // KernelProducer::forget_process.
  virtual bool forget_process(pid_t tgid) = 0;
  // Held by the tracer thread while it handles a stop: the TraceWriter is
  // shared with the writer thread.
  virtual std::unique_lock<std::mutex> lock_writer() = 0;
  // An event of the supervisor's own (signal, exec, trapped instruction,
  // thread exit). It joins the kernel's records on their way to the trace,
  // so the writer writes both in sequence order: a recorder killed at any
  // moment leaves a trace whose events are a prefix of the sequence, not one
  // with holes that a cut replay would stop at (issue 13). Tracer thread.
  virtual void add_event(Event&& e) = 0;
  // Tracer thread, writer lock not held: waits while the supervisor's events
  // not written yet hold more than their bound (kMaxHandedBytes), so a
  // program that traps very often cannot grow rp's memory without limit.
  virtual void wait_room() = 0;
  // A SIGSTOP stop of tid (writer lock held): true if the producer stopped
  // the thread to have a record completed; done now, the signal must be
  // suppressed. Also called at tid's PTRACE_EVENT_EXIT stop, where its
  // SIGSTOP will never come.
  virtual bool on_stop_signal(pid_t tid) = 0;
  // The program's stdout and stderr, before it runs (common/kernel_copy.h).
  virtual void set_outputs(const OutputFiles& out) = 0;
  // rp record -p is about to detach: the producer records nothing more (what
  // rp injects to undo its changes is no part of the program's run).
  virtual void stop_producer() = 0;
  // Every traced thread is held in a stop (the flight recorder): returns once
  // every record the producer made before the call is decoded and its event
  // written. Tracer thread, writer lock not held.
  virtual void wait_written() = 0;
  // Records lost so far (as lost(), for the events written by now; nullopt:
  // unknown), for a window saved while recording goes on.
  virtual std::optional<uint64_t> lost_so_far() = 0;
  // Bytes of records drained but not written yet (the writer's backlog,
  // and what the drain thread gathers into a chunk for it).
  virtual uint64_t unwritten_bytes() = 0;
  // An eventfd the drain thread makes readable once `bytes` more have been
  // drained after this call (the flight recorder's snapshot coming due
  // between its timer's ticks). Tracer thread.
  virtual int wake_after(uint64_t bytes) = 0;
};

// The user-space side of a kernel capture: drain and writer threads, stall
// completion, counters.
class KernelCapture : public EventsOnlyHooks {
 public:
  KernelCapture(KernelProducer& p, TraceWriter& w) : p_(p), w_(w) {}
  ~KernelCapture() override;
  // observe: no ptrace supervisor (-p, --name); tasks are added to the trace
  // as their first record arrives.
  void start(bool observe = false);
  // Stops the producer, drains it, completes leftover stalls and stops the
  // threads: the TraceWriter is the caller's alone again.
  void finish();
  // After finish(): the backend and its counters as meta (lost_records,
  // kernel_*, unknown_syscalls, unknown_ioctls).
  void write_meta();
  // None: unknown (RecordDecoder::lost).
  std::optional<uint64_t> lost() const { return lost_; }
  // Output regions the user-space completions could not read (in lost()).
  const RegionLoss& tracee_loss() const { return tracee_loss_; }
  // After finish(): how process tgid ended, if the kernel reported it.
  std::optional<int64_t> exit_status(uint32_t tgid) const { return dec_.exit_status(tgid); }
  // Called once, from the writer thread, when writing the trace fails (disk
  // full): the recording cannot go on, the caller stops the program. finish()
  // then throws that error.
  void set_on_write_error(std::function<void()> f) { on_write_error_ = std::move(f); }
  // Called (tracer thread, at the stop) when a thread's sched_setaffinity
  // succeeded: puts the recording back on its CPU.
  void set_on_repin(std::function<void()> f) { on_repin_ = std::move(f); }
  // Before start(): where a backlog of raw records goes when the writer is
  // behind (record/spill_file.h); without it, it stays in memory.
  void set_spill_dir(const std::string& dir);

  uint64_t next_seq() override { return p_.next_seq(); }
  uint64_t last_seq() override { return p_.last_seq(); }
  uint64_t exit_seq(pid_t tid) override { return p_.take_exit_seq(tid); }
  rp_stop_point stop_point(pid_t tid) override { return p_.take_stop(tid); }
  uint64_t entry_stop_seq(pid_t tid) override { return p_.take_entry_stop(tid); }
  std::string exec_path(pid_t tid) override { return p_.exec_path(tid); }
  std::unique_lock<std::mutex> lock_writer() override;
  void add_event(Event&& e) override;
  void wait_room() override;
  bool on_stop_signal(pid_t tid) override;
  void set_outputs(const OutputFiles& out) override {
    outputs_ = out;
    p_.set_outputs(out);
  }
  void stop_producer() override;
  void wait_written() override;
  uint64_t unwritten_bytes() override { return unwritten_.load(); }
  int wake_after(uint64_t bytes) override;
  std::optional<uint64_t> lost_so_far() override;
  void note_exec(pid_t tid, const std::string& name, std::vector<MemRecord> outputs,
                 bool rp_call_follows) override {
    exec_notes_[tid].push_back(ExecNote{name, std::move(outputs), rp_call_follows});
  }
  void note_thread_takeover(pid_t former, pid_t tid) override {
    dec_.thread_took_over(static_cast<uint32_t>(former), static_cast<uint32_t>(tid));
  }
  void note_copy_peek(pid_t tid, std::optional<EntryPeek> peek) override;
  bool forget_process(pid_t tgid) override { return p_.forget_process(tgid); }

 private:
  void drain_loop();
  void writer_loop();
  void writer_normal_priority();
  void writer_low_priority();
  static void set_writer_low(pid_t t);
  size_t decode_records(const char* p, size_t size, std::vector<RecordDecoder::Out>& out);
  void finish_batch(std::vector<RecordDecoder::Out>& out);
  void write(RecordDecoder::Out& o);  // writer lock held
  void add_exec_notes(Event& e);      // writer lock held
  void mark_rp_call(Event& e);        // writer lock held
  void write_batch(std::vector<RecordDecoder::Out>& batch);  // writer thread
  void queue_piece(RawChunk& chunk);                         // drain thread
  void spill_part(RawChunk& chunk);                          // drain thread
  void fail_writing(const std::string& what);                // writer lock held
  void wait_for_writer();  // finish(), showing progress

  KernelProducer& p_;
  TraceWriter& w_;
  RecordDecoder dec_;  // writer thread only (until finish() joined it); thread_took_over locks
  bool observe_ = false, finished_ = false;
  std::unordered_set<uint32_t> known_tids_;  // observe mode, writer thread

  std::mutex writer_mu_;
  struct ExecNote {
    std::string name;
    std::vector<MemRecord> outputs;
    bool rp_call_follows = false;
  };
  // Per thread, in the order of its exec stops (writer lock).
  std::unordered_map<pid_t, std::deque<ExecNote>> exec_notes_;
  // Threads whose execve's event was written and whose call made by rp
  // after it (note_exec) is still to be marked (writer lock).
  std::unordered_set<pid_t> rp_call_due_;
  uint64_t written_seq_ = 0;  // writer lock: the latest event written (for progress)
  std::string write_error_;  // writer lock; set once, then nothing more is written
  std::function<void()> on_write_error_;
  std::function<void()> on_repin_;
  std::mutex q_mu_;
  std::condition_variable q_cv_, q_space_cv_, writer_done_cv_;
  // Raw ring records, as drained: each a u32 length, then the record's bytes.
  // A piece is in memory, or in spill_ at spill_off (a drain's parts past
  // kChunkFill, or a piece past kMemChunks in memory): the backlog then costs
  // no fresh memory. Both when spilling failed part-way.
  struct Queued {
    RawChunk mem;
    uint64_t spill_off = 0;
    size_t spill_len = 0;
    size_t bytes() const { return spill_len + mem.size(); }
  };
  std::deque<Queued> queue_;
  std::vector<RawChunk> spare_;  // emptied chunks, for the drain thread to reuse
  size_t queued_bytes_ = 0;
  size_t mem_queued_ = 0;  // in-memory pieces in queue_ or being decoded
  std::unique_ptr<SpillFile> spill_;  // set before start(); none: all in memory
  RawChunk readback_;                 // writer thread: a spilled piece, read back
  uint64_t piece_off_ = 0;      // drain thread: where the piece's spilled part starts
  size_t piece_spilled_ = 0;    // drain thread: how much of it is spilled
  uint64_t spilled_bytes_ = 0;  // drain thread (read after finish()): in all, for meta
  // Declared after Queued, which it takes.
  bool decode_piece(Queued& piece, std::vector<RecordDecoder::Out>& out);  // writer thread
  bool drained_ = false;  // the drain thread is done: the writer exits when empty
  bool writer_done_ = false;  // the writer has written the whole queue
  // wait_written: asked (tracer), marked in the queue (drain thread), and
  // written (writer; q_mu_), each a count of requests.
  std::atomic<uint64_t> flush_asked_{0};
  uint64_t flush_queued_ = 0;      // drain thread
  uint64_t flush_decoded_ = 0;     // writer thread: a mark in the chunk it decoded
  uint64_t flush_written_ = 0;     // q_mu_
  std::condition_variable flush_cv_;
  // Raw bytes drained (in the drain thread's chunk or the queue) or being
  // decoded, not written yet.
  std::atomic<uint64_t> unwritten_{0};
  // Raw bytes drained in all (drain thread), and the count at which it
  // writes wake_fd_ (wake_after; UINT64_MAX: none asked).
  std::atomic<uint64_t> drained_total_{0};
  std::atomic<uint64_t> wake_at_{UINT64_MAX};
  unique_fd wake_fd_;
  std::optional<uint64_t> decoded_lost_ = 0;  // q_mu_: dec_.lost() after the latest chunk

  // Tracer -> drain thread -> writer, in the order the tracer made them:
  // events of its own (their marks go into the raw queue in this order, the
  // writer takes the events from handed_ as it meets the marks) and records
  // it completed from memory (their ring pieces are dropped).
  struct Handoff {
    bool event = false;  // else `done`
    rp_rec_syscall done{};
  };
  void hand_over(RecordDecoder::Out&& o, const rp_rec_syscall* done);
  static void append_handoff(RawChunk& chunk, std::vector<Handoff>& items);  // marks, in order
  std::mutex done_mu_;
  std::vector<Handoff> handoff_;           // done_mu_: not yet in the raw queue
  std::deque<RecordDecoder::Out> handed_;  // done_mu_: not yet taken by the writer
  size_t handed_bytes_ = 0;                // done_mu_: what handed_ holds
  std::condition_variable handed_space_cv_;

  std::atomic<bool> stopping_{false};
  std::atomic<pid_t> writer_tid_{0};  // for its priority
  std::atomic<bool> writer_idle_{false};  // waiting for a chunk
  std::thread drain_, writer_;
  uint64_t assisted_ = 0, unresolved_ = 0;
  std::optional<uint64_t> lost_ = 0;
  RegionLoss tracee_loss_;  // tracer thread
  OutputFiles outputs_;     // tracer thread
  std::unordered_map<pid_t, EntryPeek> copy_peeks_;  // tracer thread (note_copy_peek)
  KernelProducer::Counters counters_;
};

}  // namespace rp
