#include "kernel_capture.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "blob.h"
#include "raw_chunk.h"
#include "bpf_producer.h"
#include "buffers.h"
#include "cpuid_trap.h"
#include "error.h"
#include "fork_copy.h"
#include "mapped_file.h"
#include "progress.h"
#include "syscall_table.h"
#include "shm_segment.h"
#include "kernel_facts.h"
#include "tracee.h"
#include "unique_fd.h"

namespace rp {
namespace {

Mapping mapping_of(const Event& e) {
  Mapping m;
  m.seq = e.seq;
  m.tid = e.tid;
  m.addr = static_cast<uint64_t>(e.ret);
  m.size = e.args[1];
  m.prot = static_cast<int64_t>(e.args[2]);
  m.flags = static_cast<int64_t>(e.args[3]);
  m.offset = e.args[5];
  return m;
}

// The backends' clocks are CLOCK_MONOTONIC, as ptrace's: 0 means not seen; a
// value the trace cannot hold, or an entry after the exit, is left out.
void set_times(Event& e, const rp_rec_syscall& r) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (r.t_exit == 0 || r.t_exit > kMax) return;
  e.t_exit = static_cast<int64_t>(r.t_exit);
  if (r.t_entry != 0 && r.t_entry <= r.t_exit) e.t_entry = static_cast<int64_t>(r.t_entry);
}

Event event_of(const rp_rec_syscall& r) {
  Event e;
  e.seq = r.seq;
  e.entry_seq = r.entry_seq;
  e.tid = static_cast<int32_t>(r.tid);
  e.kind = EventKind::kSyscall;
  e.nr = r.nr;
  std::memcpy(e.args, r.args, sizeof e.args);
  e.ret = r.ret;
  set_times(e, r);
  if (r.h.flags & RP_SYSF_KILLED) {  // it died in there, as ptrace records it
    // A clone killed on its way out (another thread's execve) made its child
    // all the same: the child's tid stays, for replay to create it.
    const SyscallSpec* s = syscall_spec(r.nr);
    bool made_child = s && s->policy == RP_POLICY_CLONE && r.ret > 0;
    if (!made_child) e.ret = 0;
    e.extra = kNoReturn;
  }
  return e;
}

// A switch in user code is replayed like rp's own preemption under ptrace:
// the thread is stopped at exactly these registers (replay/signals.cc).
RecordDecoder::Out switch_event(const rp_rec_switch& s) {
  RecordDecoder::Out o;
  o.event.seq = s.seq;
  o.event.tid = static_cast<int32_t>(s.tid);
  o.event.kind = EventKind::kPreempt;
  // When it stopped: replay searches as many passes as that time allows.
  if (s.t_ns != 0 && s.t_ns <= static_cast<uint64_t>(INT64_MAX))
    o.event.t_exit = static_cast<int64_t>(s.t_ns);
  o.tgid = s.tgid;
  set_point_extra(o.event, signal_extra_with_regs(s.regs), s.digest);
  return o;
}

// Raw bytes held in the writer queue before the drain thread waits: past this
// the ring fills and the producer's backpressure (stalls) slows the tracee.
constexpr size_t kMaxQueuedBytes = size_t{512} << 20;
constexpr int kDrainTimeoutMs = 20;
// The writer's nice value while the program runs, where the kernel refuses
// SCHED_IDLE (set_writer_low): decoding, hashing, compressing and SQLite take
// a CPU only when the program leaves one idle, and catch up after it exits
// (issue 12; docs/performance.md).
constexpr int kWriterNice = 19;
// Past this backlog the writer gets its normal priority back: memory stays
// bounded, and an attached capture (no stall path) does not reach the queue
// limit, where the drain would stop and the ring would fill.
constexpr size_t kBoostQueuedBytes = kMaxQueuedBytes / 4;
// In the raw queue, in place of a record's length: a record the tracer
// completed from memory follows (an rp_rec_syscall).
constexpr uint32_t kDoneMark = 0xffffffff;
// In place of a record's length: a wait_written request follows (a u64), every
// record drained before it is ahead of it in the queue.
constexpr uint32_t kFlushMark = 0xfffffffe;
// In place of a record's length, with nothing after it: the supervisor's next
// event (KernelCapture::handed_) goes here.
constexpr uint32_t kEventMark = 0xfffffffd;
// The supervisor's events not written yet, at most (their memory and
// registers): past it the tracer waits for the writer before the next stop.
constexpr size_t kMaxHandedBytes = size_t{64} << 20;
constexpr size_t kSpareChunks = 4;
// In-memory pieces in the writer's queue, at most, when there is a spill file:
// past them the drain appends to it (KernelCapture::queue_piece).
constexpr size_t kMemChunks = 4;
// A chunk goes to the writer when it holds this much, or at once if the writer
// waits for work: a backlog is made of full chunks, not of one per wake-up.
constexpr size_t kChunkFill = size_t{2} << 20;

void append_raw(RawChunk& chunk, uint32_t n, const void* bytes, size_t size) {
  chunk.append(&n, sizeof n);
  chunk.append(bytes, size);
}

size_t held_bytes(const RecordDecoder::Out& o) {
  size_t n = sizeof o + o.event.extra.size();
  for (const auto& m : o.event.mem) n += sizeof m + m.bytes.size();
  return n;
}

// Events in sequence order. A chunk holds them in the order their last record
// was drained: a syscall's exit record races other threads' records into the
// ring, and the supervisor's events come after the ring records drained with
// them. Each chunk is written in one go, so sorting it keeps what reaches
// the file a prefix of the sequence.
void sort_by_seq(std::vector<RecordDecoder::Out>& out) {
  auto by_seq = [](const RecordDecoder::Out& a, const RecordDecoder::Out& b) {
    return a.event.seq < b.event.seq;
  };
  if (!std::is_sorted(out.begin(), out.end(), by_seq))
    std::stable_sort(out.begin(), out.end(), by_seq);
}

}  // namespace

std::unique_ptr<KernelProducer> open_backend(const std::string& want, bool stall,
                                             const std::string& comm, bool quiet,
                                             std::string* chosen) {
  uint64_t mb = kDefaultRingMiB;
  if (const char* v = getenv("RP_RING_MB")) mb = strtoull(v, nullptr, 10);
  BpfConfig cfg;
  cfg.ring_bytes = mb << 20;
  cfg.stall = stall;
  cfg.comm = comm;
  cfg.one_cpu = stall && comm.empty();  // a replayable recording (rp record -- PROG)
  *chosen = want;
  if (want == "ptrace") return nullptr;
  if (want == "bpf") return make_bpf_producer(cfg);
  if (want == "kmod") return make_kmod_producer(cfg.ring_bytes, stall, comm);
  if (want != "auto")
    throw Error("record: unknown backend '" + want + "' (known: auto, ptrace, bpf, kmod)");
  if (access("/dev/rp", R_OK | W_OK) == 0) {
    *chosen = "kmod";
    return make_kmod_producer(cfg.ring_bytes, stall, comm);
  }
  std::string why;
  *chosen = "ptrace";
  if (!bpf_permitted(&why)) return nullptr;
  try {
    auto p = make_bpf_producer(cfg);
    *chosen = "bpf";
    return p;
  } catch (const Error& e) {
    // Permitted but refused (an old kernel?): say why ptrace is used.
    if (!quiet) std::cerr << "rp: using the ptrace backend (" << e.what() << ")\n";
    return nullptr;
  }
}

// ---------------------------------------------------------------- decoder

void RecordDecoder::feed(const void* rec, size_t size, std::vector<Out>& out) {
  stats_.records++;
  rp_rec_hdr h;
  if (size < sizeof h) {
    stats_.malformed++;
    return;
  }
  std::memcpy(&h, rec, sizeof h);
  if (h.size > size || h.size < sizeof h) {
    stats_.malformed++;
    return;
  }
  switch (h.type) {
    case RP_REC_SYSCALL: {
      if (h.size < sizeof(rp_rec_syscall)) {
        stats_.malformed++;
        return;
      }
      rp_rec_syscall r;
      std::memcpy(&r, rec, sizeof r);
      note_tseq(r);
      if (dropped_.count(r.seq)) return;
      if (r.h.flags & RP_SYSF_DATA_MISSING) stats_.missing++;
      Pending& p = pending_[r.seq];
      if (!add_packed(p, r, static_cast<const char*>(rec))) {
        stats_.malformed++;
        return;
      }
      p.have_sys = true;
      p.sys = r;
      if (p.ndata >= r.ndata) complete(p, out);
      return;
    }
    case RP_REC_DATA: {
      rp_rec_data d;
      if (h.size < sizeof d) {
        stats_.malformed++;
        return;
      }
      std::memcpy(&d, rec, sizeof d);
      if (sizeof d + d.len > h.size) {
        stats_.malformed++;
        return;
      }
      if (dropped_.count(d.seq)) return;
      Pending& p = pending_[d.seq];
      add_data(p, d, static_cast<const char*>(rec) + sizeof d);
      if (p.have_sys && p.ndata >= p.sys.ndata) complete(p, out);
      return;
    }
    case RP_REC_TASK: {  // forks and exits: a ptrace supervisor records them too
      rp_rec_task t;
      if (h.size < sizeof t) {
        stats_.malformed++;
        return;
      }
      std::memcpy(&t, rec, sizeof t);
      if (t.event == RP_TASK_EXIT) exits_[t.tgid] = t.status;  // the last thread's counts
      if (t.event == RP_TASK_FORK) fork_copies_[t.parent_tid] = t.seq;  // before its call's record
      return;
    }
    case RP_REC_SWITCH: {
      rp_rec_switch s;
      if (h.size < sizeof s) {
        stats_.malformed++;
        return;
      }
      std::memcpy(&s, rec, sizeof s);
      out.push_back(switch_event(s));
      stats_.events++;
      stats_.switches++;
      return;
    }
    case RP_REC_PAD: return;
    default: stats_.malformed++;
  }
}

std::optional<int64_t> RecordDecoder::exit_status(uint32_t tgid) const {
  auto it = exits_.find(tgid);
  if (it == exits_.end()) return std::nullopt;
  return it->second;
}

// Adds the data records packed inside syscall record r (rp_abi.h); false, and
// adds none, unless each is whole and of r's seq.
bool RecordDecoder::add_packed(Pending& p, const rp_rec_syscall& r, const char* rec) {
  for (int pass = 0; pass < 2; pass++) {  // check all, then add
    for (size_t at = sizeof r; at < r.h.size;) {
      rp_rec_data d;
      if (r.h.size - at < sizeof d) return false;
      std::memcpy(&d, rec + at, sizeof d);
      if (d.h.type != RP_REC_DATA || d.h.size < sizeof d || d.h.size > r.h.size - at ||
          sizeof d + d.len > d.h.size || d.seq != r.seq)
        return false;
      if (pass == 1) add_data(p, d, rec + at + sizeof d);
      at += d.h.size;
    }
  }
  return true;
}

// Takes data records in their ordinal's order (RP_DATA_INDEX): one that comes
// early waits in p.early until those before it are taken. A record numbered 0
// after others comes from a producer that numbers none (a module built before
// RP_DATA_INDEX, still loaded after an upgrade), which sends them in order.
void RecordDecoder::add_data(Pending& p, const rp_rec_data& d, const char* payload) {
  p.ndata++;
  const uint32_t ordinal = d.out_index >> RP_DATA_ORDINAL_SHIFT;
  const bool unnumbered = ordinal == 0 && p.next_ordinal != 0 && p.early.empty();
  if (unnumbered) {
    take_data(p, d, payload);
    return;
  }
  if (ordinal != (p.next_ordinal & RP_DATA_IDX_MASK)) {
    if (!p.early.emplace(ordinal, EarlyData{d, std::string(payload, d.len)}).second)
      stats_.malformed++;
    return;
  }
  take_data(p, d, payload);
  p.next_ordinal++;
  for (auto it = p.early.find(p.next_ordinal & RP_DATA_IDX_MASK); it != p.early.end();
       it = p.early.find(p.next_ordinal & RP_DATA_IDX_MASK)) {
    take_data(p, it->second.d, it->second.payload.data());
    p.early.erase(it);
    p.next_ordinal++;
  }
}

void RecordDecoder::take_data(Pending& p, const rp_rec_data& raw, const char* payload) {
  rp_rec_data d = raw;
  d.out_index &= RP_DATA_IDX_MASK;
  const bool input = d.h.flags & RP_DATAF_INPUT;
  if (d.out_index == RP_DATA_IDX_INPUT) {  // hashed, not stored (like ptrace)
    p.has_input = true;
    p.input.append(payload, d.len);
    return;
  }
  // An empty path is still compared in replay; empty output chunks (the
  // kernel module's unreadable pages) carry nothing.
  if (d.len == 0 && !input) return;
  // The next chunk of the same region continues the previous record.
  if (!p.mem.empty() && p.mem_idx.back() == d.out_index && p.mem.back().input == input &&
      p.mem.back().addr + p.mem.back().bytes.size() == d.addr) {
    p.mem.back().bytes.append(payload, d.len);
    return;
  }
  p.mem.push_back(MemRecord{d.addr, std::string(payload, d.len), input});
  p.mem_idx.push_back(d.out_index);
}

void RecordDecoder::complete(Pending& p, std::vector<Out>& out) {
  // Records missing before these (packed ones of a call the eBPF program
  // could not finish in the ring) leave gaps: the rest in order.
  for (auto& [ordinal, e] : p.early) take_data(p, e.d, e.payload.data());
  p.early.clear();
  Out o;
  o.event = event_of(p.sys);
  note_fork_copy(o.event);
  o.tgid = p.sys.tgid;
  o.event.mem = std::move(p.mem);
  if (p.has_input) o.event.in_hash = hash64(p.input);
  const SyscallSpec* s = syscall_spec(p.sys.nr);
  if (!s) stats_.unknown_syscalls++;
  // A producer that cannot size semctl GETALL's array (the kernel module:
  // rp_put_semctl) leaves it out: the trace lacks bytes the kernel wrote.
  bool getall = p.sys.nr == SYS_semctl && rp_semctl_is_getall(p.sys.args[2]);
  if (getall && !syscall_failed(p.sys.ret) && p.sys.args[3] && o.event.mem.empty() &&
      !(p.sys.h.flags & RP_SYSF_DATA_MISSING))
    stats_.missing++;
  if (p.sys.nr == SYS_ioctl && !syscall_failed(p.sys.ret)) {
    bool known;
    ioctl_output_size(p.sys.args[1], &known);
    if (!known) stats_.unknown_ioctls++;
  }
  if (is_file_mmap(s, o.event.args, p.sys.ret)) {
    for (size_t i = 0; i < p.mem_idx.size(); i++)
      if (p.mem_idx[i] == RP_DATA_IDX_EXTRA) {
        o.mapping = mapping_of(o.event);
        o.mapping_mem = i;
      }
  }
  uint64_t seq = p.sys.seq;
  pending_.erase(seq);
  stats_.events++;
  out.push_back(std::move(o));
}

// A fork's event takes the number its thread's fork record got where the
// kernel had copied the memory (fork_copy.h), when that is inside the call.
// The record is the thread's last before that call's own (taken in it).
void RecordDecoder::note_fork_copy(Event& e) {
  auto it = fork_copies_.find(static_cast<uint32_t>(e.tid));
  if (it == fork_copies_.end()) return;
  const uint64_t copy = it->second;
  fork_copies_.erase(it);
  if (fork_copies_memory(e.nr, e.args[0]) && e.extra.empty() && e.entry_seq != 0 &&
      e.entry_seq < copy && copy < e.seq)
    e.extra = fork_copy_extra(copy);
}

void RecordDecoder::thread_took_over(uint32_t former, uint32_t tid) {
  std::lock_guard lk(takeover_mu_);
  takeovers_[tid] = former;
}

// Per-thread numbers count up from 1 without holes, each thread its own. A
// thread that exec'd from outside the leader carries its numbers on under
// the leader's tid: its execve record starts that.
void RecordDecoder::note_tseq(const rp_rec_syscall& r) {
  if ((r.nr == SYS_execve || r.nr == SYS_execveat) && r.ret == 0) {
    std::lock_guard lk(takeover_mu_);
    auto it = takeovers_.find(r.tid);
    if (it != takeovers_.end()) {
      stats_.tseq_gaps += tseq_[r.tid].gaps();  // the old leader is gone
      auto former = tseq_.find(it->second);
      tseq_[r.tid] = former != tseq_.end() ? former->second : ThreadSeq{};
      if (former != tseq_.end()) tseq_.erase(former);
      takeovers_.erase(it);
    }
  }
  ThreadSeq& t = tseq_[r.tid];
  // A thread's first record may come after its later ones: completed from
  // user space after a stall, it is queued when the drain thread next looks,
  // and the resumed thread's next records may be in the ring before that.
  // Numbered before them, it is no new thread.
  if (r.tseq == 1 && t.seen && r.seq > t.last_seq) {  // after all of them: a recycled tid
    stats_.tseq_gaps += t.gaps();
    t = ThreadSeq{};
  }
  t.max = std::max<uint64_t>(t.max, r.tseq);
  t.last_seq = std::max<uint64_t>(t.last_seq, r.seq);
  t.seen++;
  // More numbers than the highest: two threads' under one tid.
  if (t.seen > t.max) stats_.tseq_mixed = true;
}

void RecordDecoder::completed_elsewhere(const rp_rec_syscall& r) {
  note_tseq(r);
  dropped_.insert(r.seq);
  pending_.erase(r.seq);
}

void RecordDecoder::finish() {
  for (auto& [seq, p] : pending_) {
    if (p.have_sys)
      stats_.incomplete++;
    else
      stats_.orphans++;
  }
  pending_.clear();
  for (auto& [tid, t] : tseq_) stats_.tseq_gaps += t.gaps();
  tseq_.clear();
}

// ---------------------------------------------------------------- stalls

RecordDecoder::Out event_from_tracee(const rp_rec_syscall& r, pid_t tid, RegionLoss& loss,
                                     const OutputFiles& out, const EntryPeek* peek) {
  RecordDecoder::Out o;
  Event& e = o.event;
  e = event_of(r);
  const SyscallSpec* s = syscall_spec(r.nr);
  if (!s) return o;
  Tracee mem(tid);
  WordReader rd = mem.word_reader();
  const bool exec_ok = s->policy == RP_POLICY_EXECVE && r.ret == 0;
  if (!exec_ok) {  // after a successful execve the old strings are gone
    for (int i = 0; s->arg_kinds[i] && i < 6; i++) {
      if (s->arg_kinds[i] != 's' || !e.args[i]) continue;
      e.mem.push_back(MemRecord{e.args[i], mem.read_cstring(e.args[i]), true});
    }
  }
  auto in = input_regions(*s, e.args, rd);
  if (!in.empty()) {
    std::string data;
    for (const auto& g : in) data += mem.read(g.addr, g.len);
    e.in_hash = hash64(data);
  }
  EntryLens lens;
  lens.len[0] = r.entry_len[0];
  lens.len[1] = r.entry_len[1];
  KernelFacts facts = tracee_kernel_facts(tid, &loss.unreadable);
  if (const SyscallSpec* b = buffers_spec(r.nr, e.args))
    read_output_regions(mem, output_regions(*b, e.args, e.ret, lens, rd, &facts), e.mem, loss);
  if (exec_ok) {
    // The kernel's 16 random bytes on the new stack; replay writes them back.
    if (auto r = at_random_region(tid)) read_output_regions(mem, {*r}, e.mem, loss);
  }
  if (r.nr == SYS_shmat && !syscall_failed(r.ret))  // replay attaches these bytes, not the segment
    if (auto seg = attached_segment(tid, static_cast<uint64_t>(r.ret)))
      e.mem.push_back(std::move(*seg));
  if (auto copied = read_copied_bytes(tid, mem, e, out, peek))  // replay echoes them
    e.extra = std::string(kCopiedPrefix) + *copied;
  if (is_file_mmap(s, e.args, e.ret)) {
    // Replay has no file: keep what the mapping shows now (zero fill past EOF
    // included), before the program can write to it.
    uint64_t addr = static_cast<uint64_t>(e.ret);
    MappedFile file = read_mapped_file(mem, tid, static_cast<int>(e.args[4]), addr, e.args[1], e.args[5]);
    o.mapping = mapping_of(e);
    o.mapping->path = file.path;
    if (!file.pieces.empty() && file.pieces[0].addr == addr) o.mapping_mem = e.mem.size();
    for (auto& p : file.pieces) e.mem.push_back(std::move(p));
  }
  return o;
}

// ---------------------------------------------------------------- capture

void set_lost_meta(TraceWriter& w, std::optional<uint64_t> lost) {
  if (lost)
    w.set_meta("lost_records", static_cast<int64_t>(*lost));
  else
    w.set_meta("lost_records", "unknown");
}

KernelCapture::~KernelCapture() {
  try {
    finish();
  } catch (...) {
  }
}

void KernelCapture::start(bool observe) {
  observe_ = observe;
  // The helper threads block every signal: SIGCHLD must reach the tracer's
  // signalfd, and Ctrl-C the thread that waits for it.
  sigset_t all;
  sigfillset(&all);
  ScopedSignalMask block_all(SIG_SETMASK, all);  // inherited by the threads
  drain_ = std::thread([this] { drain_loop(); });
  writer_ = std::thread([this] { writer_loop(); });
  // Named for per-thread accounting (top -H, /proc/PID/task/*/comm, perf).
  pthread_setname_np(drain_.native_handle(), "rp-drain");
  pthread_setname_np(writer_.native_handle(), "rp-writer");
}

bool KernelCapture::on_stop_signal(pid_t tid) {
  bool repin = p_.take_repin(tid);
  if (repin && on_repin_) on_repin_();
  auto r = p_.take_stalled(tid);
  if (!r) return repin;
  auto peek = copy_peeks_.extract(tid);  // taken: never another call's
  RecordDecoder::Out o =
      event_from_tracee(*r, tid, tracee_loss_, outputs_, peek ? &peek.mapped() : nullptr);
  hand_over(std::move(o), &*r);
  assisted_++;
  return true;
}

void KernelCapture::note_copy_peek(pid_t tid, std::optional<EntryPeek> peek) {
  if (peek)
    copy_peeks_[tid] = std::move(*peek);
  else
    copy_peeks_.erase(tid);
}

void KernelCapture::add_event(Event&& e) {
  RecordDecoder::Out o;
  o.event = std::move(e);
  hand_over(std::move(o), nullptr);
}

void KernelCapture::hand_over(RecordDecoder::Out&& o, const rp_rec_syscall* done) {
  if (!writer_.joinable()) {  // no writer thread (yet, or any more): nothing to race
    write(o);
    return;
  }
  std::lock_guard lk(done_mu_);
  handed_bytes_ += held_bytes(o);
  handed_.push_back(std::move(o));
  handoff_.push_back(Handoff{true, {}});
  if (done) handoff_.push_back(Handoff{false, *done});
}

void KernelCapture::append_handoff(RawChunk& chunk, std::vector<Handoff>& items) {
  for (const auto& h : items) {
    if (h.event)
      chunk.append(&kEventMark, sizeof kEventMark);
    else
      append_raw(chunk, kDoneMark, &h.done, sizeof h.done);
  }
  items.clear();
}

void KernelCapture::wait_room() {
  std::unique_lock lk(done_mu_);
  if (handed_bytes_ < kMaxHandedBytes) return;
  writer_normal_priority();  // the program waits for it now
  handed_space_cv_.wait(lk, [&] { return handed_bytes_ < kMaxHandedBytes; });
  lk.unlock();
  writer_low_priority();
}

void KernelCapture::wait_written() {
  uint64_t want = ++flush_asked_;
  writer_normal_priority();  // the program is stopped: nothing to leave the CPU to
  std::unique_lock lk(q_mu_);
  flush_cv_.wait(lk, [&] { return flush_written_ >= want || writer_done_; });
  lk.unlock();
  writer_low_priority();
}

// The writer holds the lock while it writes, at nice 19: on a loaded machine
// it may not run again for hundreds of ms (measured up to 315 ms), and the
// tracer waiting on it puts off stalls and the flight recorder's snapshots
// (the trace grows meanwhile). It gets the tracer's priority while the
// tracer waits.
std::unique_lock<std::mutex> KernelCapture::lock_writer() {
  std::unique_lock lk(writer_mu_, std::try_to_lock);
  if (lk) return lk;
  writer_normal_priority();
  lk.lock();
  writer_low_priority();
  return lk;
}

void KernelCapture::writer_low_priority() {
  if (stopping_) return;  // finish(): it writes the rest at full speed
  {
    std::lock_guard lk(q_mu_);
    if (queued_bytes_ > kBoostQueuedBytes) return;  // a backlog: it keeps its boost
  }
  if (pid_t t = writer_tid_.load()) set_writer_low(t);
}

std::optional<uint64_t> KernelCapture::lost_so_far() {
  std::optional<uint64_t> lost;
  {
    std::lock_guard lk(q_mu_);
    lost = decoded_lost_;
  }
  if (lost) *lost += p_.counters().lost + tracee_loss_.total();
  return lost;
}

void KernelCapture::stop_producer() {
  try {
    p_.stop();
  } catch (const std::exception& e) {  // finish() stops it again and reports it
    std::cerr << "rp: warning: " << e.what() << "\n";
  }
}

// What the exec stop noted of a successful execve (its thread's oldest
// note: the events come in the order of its execs). Its path, where the
// producer has none: it sends no path it could not copy at entry (its page
// was not present). The name comes from the new program's AT_EXECFN, read at
// the exec stop; an unknown name leaves the path out (replay then has none
// to compare), never "". And the stack words replay writes back.
void KernelCapture::add_exec_notes(Event& e) {
  auto notes = exec_notes_.find(e.tid);
  if (notes == exec_notes_.end()) return;
  ExecNote note = std::move(notes->second.front());
  notes->second.pop_front();
  if (notes->second.empty()) exec_notes_.erase(notes);
  for (auto& m : note.outputs) e.mem.push_back(std::move(m));
  if (note.rp_call_follows) rp_call_due_.insert(e.tid);
  if (e.nr != SYS_execve) return;  // execveat: its path is relative to a descriptor
  for (auto& m : e.mem)
    if (m.input && m.addr == e.args[0]) return;
  if (!note.name.empty()) e.mem.push_back(MemRecord{e.args[0], std::move(note.name), true});
}

// Marks the call rp made after e.tid's execve (note_exec) as rp's: replay
// makes it again. The thread ran none of its own code in between; a
// preemption recorded on the way, at rp's syscall instruction, keeps the
// wait (replay would then stop there with a divergence). Anything else of
// the thread's ends it: the thread died before rp's call.
void KernelCapture::mark_rp_call(Event& e) {
  auto due = rp_call_due_.find(e.tid);
  if (due == rp_call_due_.end() || e.kind == EventKind::kPreempt) return;
  rp_call_due_.erase(due);
  if (e.kind == EventKind::kSyscall && e.nr == kArchPrctlNr && e.args[0] == kArchSetCpuid)
    e.extra = kMadeByRp;
}

void KernelCapture::write(RecordDecoder::Out& o) {
  if (!rp_call_due_.empty()) mark_rp_call(o.event);
  if (o.event.kind == EventKind::kSyscall &&
      (o.event.nr == SYS_execve || o.event.nr == SYS_execveat) && o.event.ret == 0)
    add_exec_notes(o.event);
  if (o.mapping) {
    if (o.mapping_mem < o.event.mem.size())
      o.mapping->blob = w_.put_blob(o.event.mem[o.mapping_mem].bytes);
    w_.add_mapping(*o.mapping);
  }
  w_.add_event(o.event);
  written_seq_ = std::max(written_seq_, o.event.seq);
}

// Only what cannot wait: move the ring's records into memory as they are, so
// the ring has room again. Decoding and writing are the writer's.
void KernelCapture::drain_loop() {
  RawChunk chunk;
  RecordFn feed = [&](const void* rec, size_t size) {
    // A ring record is reserved in size classes: copy only what its header
    // says it holds (the decoder checks that again).
    rp_rec_hdr h;
    if (size >= sizeof h) {
      std::memcpy(&h, rec, sizeof h);
      if (h.size >= sizeof h && h.size < size) size = h.size;
    }
    append_raw(chunk, static_cast<uint32_t>(size), rec, size);
    // A drain takes all the ring holds, and a program that writes as fast
    // goes on adding: the piece's full parts go to the file, so the chunk
    // stays the size of its reused pages.
    if (chunk.size() >= kChunkFill) spill_part(chunk);
  };
  auto held = [&] { return piece_spilled_ + chunk.size(); };
  std::vector<Handoff> done;
  for (;;) {
    // Stop once asked and a drain came back empty: the producer is stopped
    // first, so nothing arrives after that.
    bool last = stopping_.load();
    // Read before the drain: the records of a wait_written request were all
    // in the ring when it was made (every thread stopped before).
    uint64_t flush = flush_asked_.load();
    {
      // Taken before the drain: a thread's earlier records were in the ring
      // before it stopped, so they come first in the queue, and the decoder
      // sees each thread's records in order (its tseq accounting needs that).
      std::lock_guard lk(done_mu_);
      done.swap(handoff_);
    }
    bool flush_wanted = flush != flush_queued_;
    size_t before = held();
    size_t n = p_.drain(last || flush_wanted ? 0 : kDrainTimeoutMs, feed);
    append_handoff(chunk, done);
    // And what was handed over during the drain: a thread resumed after its
    // event (a trapped rdtsc) may have records in this chunk already, and the
    // event must sort before them in the same batch, not come in the next
    // one (a kill in between would leave a hole in the file).
    {
      std::lock_guard lk(done_mu_);
      done.swap(handoff_);
    }
    append_handoff(chunk, done);
    // The ring came back empty: what it held at the request is in `chunk` or
    // queued already.
    bool flushing = flush_wanted && n == 0;
    if (flushing) {
      append_raw(chunk, kFlushMark, &flush, sizeof flush);
      flush_queued_ = flush;
    }
    unwritten_ += held() - before;
    if ((drained_total_ += held() - before) >= wake_at_.load() &&
        wake_at_.exchange(UINT64_MAX) != UINT64_MAX) {
      uint64_t one = 1;
      (void)!::write(wake_fd_.get(), &one, sizeof one);
    }
    if (held() && (last || flushing || held() >= kChunkFill || writer_idle_.load()))
      queue_piece(chunk);
    if (last && n == 0) break;
  }
  std::lock_guard lk(q_mu_);
  drained_ = true;
  q_cv_.notify_one();
}

void KernelCapture::set_spill_dir(const std::string& dir) {
  spill_ = std::make_unique<SpillFile>(dir);
  if (!spill_->ok()) spill_.reset();
}

// The chunk's bytes onto the end of the piece's part in the spill file,
// leaving the chunk empty; where the file cannot take them (none, or a full
// disk) they stay in the chunk, in memory.
void KernelCapture::spill_part(RawChunk& chunk) {
  std::optional<uint64_t> at = spill_ ? spill_->append(chunk.data(), chunk.size()) : std::nullopt;
  if (!at || chunk.empty()) return;
  if (!piece_spilled_) piece_off_ = *at;  // only this thread appends: the parts follow each other
  piece_spilled_ += chunk.size();
  spilled_bytes_ += chunk.size();
  chunk.clear();
}

// Hands the piece drained so far (its spilled part and `chunk`) to the
// writer and leaves `chunk` empty. An in-memory piece keeps its chunk; past
// kMemChunks of those, or when part of it is in the file already, it goes to
// the spill file, and the same chunk, its pages mapped, takes the next
// records: fresh memory costs a page fault per 4 KiB (docs/performance.md).
void KernelCapture::queue_piece(RawChunk& chunk) {
  size_t n = piece_spilled_ + chunk.size();
  bool to_file;
  {
    std::unique_lock lk(q_mu_);
    q_space_cv_.wait(lk, [&] { return queued_bytes_ < kMaxQueuedBytes; });
    to_file = piece_spilled_ || mem_queued_ >= kMemChunks;
  }
  if (to_file) spill_part(chunk);  // outside the lock: only this thread adds
  std::lock_guard lk(q_mu_);
  queued_bytes_ += n;
  if (queued_bytes_ > kBoostQueuedBytes) writer_normal_priority();
  Queued q{RawChunk(), piece_off_, piece_spilled_};
  piece_spilled_ = 0;
  if (!chunk.empty()) {
    q.mem = std::move(chunk);
    mem_queued_++;
    chunk.clear();
    // A buffer the writer is done with: its pages are mapped already.
    if (!spare_.empty()) {
      chunk = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  queue_.push_back(std::move(q));
  q_cv_.notify_one();
}

// The whole items at the start of [p, p + size): what they take from it.
size_t KernelCapture::decode_records(const char* p, size_t size,
                                     std::vector<RecordDecoder::Out>& out) {
  size_t at = 0;
  for (;;) {
    uint32_t n;
    if (at + sizeof n > size) return at;
    std::memcpy(&n, p + at, sizeof n);
    size_t body = n == kFlushMark  ? sizeof flush_decoded_
                  : n == kEventMark ? 0
                  : n == kDoneMark  ? sizeof(rp_rec_syscall)
                                    : n;
    if (at + sizeof n + body > size) return at;
    const char* item = p + at + sizeof n;
    at += sizeof n + body;
    if (n == kFlushMark) {  // written with the rest of this piece (writer_loop)
      std::memcpy(&flush_decoded_, item, sizeof flush_decoded_);
    } else if (n == kEventMark) {
      std::lock_guard lk(done_mu_);
      handed_bytes_ -= held_bytes(handed_.front());
      out.push_back(std::move(handed_.front()));
      handed_.pop_front();
      handed_space_cv_.notify_one();
    } else if (n == kDoneMark) {  // its pieces in the ring, before or after, are dropped by seq
      rp_rec_syscall r;
      std::memcpy(&r, item, sizeof r);
      dec_.completed_elsewhere(r);
    } else {
      dec_.feed(item, n, out);
    }
  }
}

// A queued piece into events: its spilled part read back in slices into one
// reused buffer, then its in-memory part. False when the file could not be
// read back (the recording then fails, as when the trace cannot be written).
bool KernelCapture::decode_piece(Queued& piece, std::vector<RecordDecoder::Out>& out) {
  constexpr size_t kSlice = size_t{4} << 20;
  RawChunk* bytes = &readback_;
  if (!piece.spill_len) {
    bytes = &piece.mem;
  } else {
    readback_.clear();
    try {
      for (size_t done = 0; done < piece.spill_len;) {
        size_t n = std::min(kSlice, piece.spill_len - done);
        spill_->take(piece.spill_off + done, n, readback_);
        done += n;
        readback_.drop_front(decode_records(readback_.data(), readback_.size(), out));
      }
    } catch (const std::exception& ex) {
      std::lock_guard wl(writer_mu_);
      fail_writing(ex.what());
      return false;
    }
    readback_.append(piece.mem.data(), piece.mem.size());
  }
  decode_records(bytes->data(), bytes->size(), out);
  finish_batch(out);
  return true;
}

// Sorted, and in observe mode each thread's first event adds its task.
void KernelCapture::finish_batch(std::vector<RecordDecoder::Out>& out) {
  sort_by_seq(out);
  if (observe_ && !out.empty()) {
    std::lock_guard wl(writer_mu_);
    for (const auto& o : out)
      if (known_tids_.insert(static_cast<uint32_t>(o.event.tid)).second)
        w_.add_task(TaskInfo{o.event.tid, static_cast<int32_t>(o.tgid), 0, o.event.seq,
                              std::nullopt});
  }
}

int KernelCapture::wake_after(uint64_t bytes) {
  if (!wake_fd_) {
    wake_fd_ = unique_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_fd_) throw_errno("eventfd");
  }
  uint64_t n;
  while (read(wake_fd_.get(), &n, sizeof n) == sizeof n) {
  }
  // Not sooner than this: a recorder that cannot snapshot (0 left) would
  // wake at every chunk.
  constexpr uint64_t kMinWakeBytes = 64 << 10;
  wake_at_ = drained_total_.load() + std::max(bytes, kMinWakeBytes);
  return wake_fd_.get();
}

// SCHED_IDLE rather than nice 19: a program's thread that wakes preempts
// the writer at once, and the scheduler counts a CPU that runs only the
// writer as idle when it places one (nginx under ab: docs/performance.md,
// "The writer as an idle task").
void KernelCapture::set_writer_low(pid_t t) {
  sched_param p{};
  if (sched_setscheduler(t, SCHED_IDLE, &p) != 0)
    setpriority(PRIO_PROCESS, static_cast<id_t>(t), kWriterNice);
}

// Best effort: without CAP_SYS_NICE the writer keeps its low priority.
void KernelCapture::writer_normal_priority() {
  if (pid_t t = writer_tid_.load()) {
    sched_param p{};
    sched_setscheduler(t, SCHED_OTHER, &p);
    setpriority(PRIO_PROCESS, static_cast<id_t>(t), getpriority(PRIO_PROCESS, 0));
  }
}

void KernelCapture::writer_loop() {
  writer_tid_ = gettid();
  if (!stopping_) set_writer_low(writer_tid_.load());
  // One batch's room, kept from piece to piece: allocated afresh, a piece's
  // events (~300 bytes each) landed on pages the kernel had to fault in and
  // zero every time, 9 % of this thread's time on a getppid loop.
  constexpr size_t kBatchRoomKept = 16384;
  std::vector<RecordDecoder::Out> batch;
  for (;;) {
    Queued piece;
    {
      std::unique_lock lk(q_mu_);
      writer_idle_ = queue_.empty();
      q_cv_.wait(lk, [&] { return !queue_.empty() || drained_; });
      writer_idle_ = false;
      if (queue_.empty()) {
        writer_done_ = true;
        writer_done_cv_.notify_all();
        flush_cv_.notify_all();
        break;
      }
      piece = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= piece.bytes();
      q_space_cv_.notify_one();
    }
    size_t n = piece.bytes();
    batch.clear();
    if (decode_piece(piece, batch)) write_batch(batch);
    batch.clear();
    if (batch.capacity() > kBatchRoomKept) batch.shrink_to_fit();
    unwritten_ -= n;
    std::lock_guard lk(q_mu_);
    decoded_lost_ = dec_.lost();
    if (flush_decoded_ > flush_written_) {
      flush_written_ = flush_decoded_;
      flush_cv_.notify_all();
    }
    if (!piece.mem.empty()) {
      mem_queued_--;
      piece.mem.clear();
      if (spare_.size() < kSpareChunks) spare_.push_back(std::move(piece.mem));
    }
  }
}

// The trace cannot go on (writer lock held): what was committed stays a
// usable trace, finish() reports `what`.
void KernelCapture::fail_writing(const std::string& what) {
  if (!write_error_.empty()) return;
  write_error_ = what;
  if (on_write_error_) on_write_error_();
}

void KernelCapture::write_batch(std::vector<RecordDecoder::Out>& batch) {
  // In short slices: the tracer holds the lock while it handles a stop (a
  // stalled thread waits for it), and this thread runs at a low priority.
  constexpr size_t kSlice = 64;
  for (size_t i = 0; i < batch.size(); i += kSlice) {
    std::lock_guard wl(writer_mu_);
    if (!write_error_.empty()) return;  // keep draining, so nothing waits on the queue
    try {
      for (size_t j = i; j < std::min(batch.size(), i + kSlice); j++) write(batch[j]);
    } catch (const std::exception& ex) {
      fail_writing(ex.what());  // out of space, most likely
      return;
    }
  }
}

// The writer runs behind a program that makes syscalls fast (1,000,000
// getppid calls: ~7 s of backlog after it exits), so say how far it is: the
// sequence number of the latest event written out of the last one handed out
// (syscall entries take numbers too: a count of events would reach ~50 %).
void KernelCapture::wait_for_writer() {
  if (!writer_.joinable()) return;
  Progress progress("record: writing the trace", p_.last_seq(), /*every=*/1);
  std::unique_lock lk(q_mu_);
  while (!writer_done_cv_.wait_for(lk, std::chrono::milliseconds(100), [&] { return writer_done_; })) {
    lk.unlock();
    uint64_t written;
    {
      std::lock_guard wl(writer_mu_);
      written = written_seq_;
    }
    progress.step(written);
    lk.lock();
  }
}

void KernelCapture::finish() {
  if (finished_) return;
  finished_ = true;
  p_.stop();
  // Threads that died before their stop was seen: their parked records can
  // no longer be completed from memory; keep what the kernel gave.
  for (const auto& r : p_.take_all_stalled()) {
    RecordDecoder::Out o;
    o.event = event_of(r);
    // A call that never returned has no outputs: its record is whole.
    bool needs_nothing = r.h.flags & (RP_SYSF_NO_EXIT | RP_SYSF_KILLED);
    if (needs_nothing)
      assisted_++;
    else
      unresolved_++;
    hand_over(std::move(o), &r);  // behind the records drained before
  }
  // The program is gone: the backlog is all that is left to wait for.
  writer_normal_priority();
  stopping_ = true;
  wait_for_writer();
  if (drain_.joinable()) drain_.join();
  if (writer_.joinable()) writer_.join();
  dec_.finish();
  counters_ = p_.counters();
  lost_ = dec_.lost();
  if (lost_) *lost_ += counters_.lost + unresolved_ + tracee_loss_.total();
  if (!write_error_.empty()) throw Error(write_error_);
}

void KernelCapture::write_meta() {
  const auto& c = counters_;
  const auto& d = dec_.stats();
  w_.set_meta("backend", p_.name());
  set_lost_meta(w_, lost_);
  w_.set_meta("kernel_records", static_cast<int64_t>(c.records));
  w_.set_meta("kernel_bytes", static_cast<int64_t>(c.bytes));
  w_.set_meta("kernel_ring_full", static_cast<int64_t>(c.ring_full));
  w_.set_meta("kernel_copy_faults", static_cast<int64_t>(c.copy_faults));
  w_.set_meta("kernel_stalls", static_cast<int64_t>(c.stalls));
  w_.set_meta("kernel_assisted", static_cast<int64_t>(assisted_));
  w_.set_meta("kernel_data_missing", static_cast<int64_t>(d.missing));
  w_.set_meta("kernel_malformed", static_cast<int64_t>(d.malformed));
  w_.set_meta("kernel_spilled_bytes", static_cast<int64_t>(spilled_bytes_));
  if (c.wakeups) w_.set_meta("kernel_wakeups", static_cast<int64_t>(*c.wakeups));
  w_.set_meta("switches", static_cast<int64_t>(d.switches));
  w_.set_meta("unknown_syscalls", static_cast<int64_t>(d.unknown_syscalls));
  w_.set_meta("unknown_ioctls", static_cast<int64_t>(d.unknown_ioctls));
}

}  // namespace rp
