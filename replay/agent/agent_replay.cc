// The in-process replay agent, the replayer's side (docs/design.md, "The
// replay agent"): patching syscall sites to the agent's stubs, filling the
// window with the upcoming recorded calls of the thread about to run, and
// accounting for the calls it answered when the replayer regains control.
//
// The window holds only calls whose whole replay is their result and the
// bytes they wrote, of the one thread replay resumes, with nothing else due
// in between (no other thread's event or syscall entry, no signal, no
// preemption), and only when the recorded event after each of them is the
// same thread's next syscall: the thread then never runs user code the
// replay would not have let it run. A call the agent does not answer runs
// a real syscall from the stub and the ptrace replay takes it as before.
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "agent_abi.h"
#include "agent_code.h"
#include "agent_sends.h"
#include "agent_state.h"
#include "output_fds.h"
#include "buffers.h"
#include "point_patch.h"
#include "proc_maps.h"
#include "replayer.h"
#include "snapshot.h"
#include "syscall_table.h"
#include "tracee_mem.h"
#include "sysv_shm.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace rp {
namespace {

constexpr size_t kMaxWindowEvents = 4096;
constexpr size_t kMinWindowEvents = 16;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kUserTop = 0x7ffffffff000;
constexpr uint64_t kMinAddr = 1 << 28;      // leave the low addresses to the program
constexpr uint64_t kMargin = 1 << 20;       // to any mapping
constexpr uint64_t kStackRoom = 256 << 20;  // below the stack, which grows down
constexpr uint64_t kMaxLen = uint64_t{1} << 47;

uint64_t clamp_len(uint64_t n) { return std::min(n, kMaxLen); }

// Whether [a, a+n) meets any of the ranges.
bool meets(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t a, uint64_t n) {
  for (auto [s, e] : ranges)
    if (a < e && s < a + n) return true;
  return false;
}

// What the process has now, widened by the margins, plus what the recording
// touched. Mappings made only of `own` pages (the agent's stub pages) are
// not counted: stubs pack next to each other.
std::vector<std::pair<uint64_t, uint64_t>> blocked(pid_t tid, const AgentState& st,
                                                   const std::set<uint64_t>& own = {}) {
  auto out = st.avoid;
  for (const ProcMap& m : read_proc_maps(tid)) {
    bool mine = true;
    for (uint64_t pg = m.start; mine && pg < m.end; pg += kPage) mine = own.count(pg);
    if (mine) continue;
    uint64_t lo = m.start > kMargin ? m.start - kMargin : 0;
    if (m.path == "[stack]") lo = m.start > kStackRoom ? m.start - kStackRoom : 0;
    out.push_back({lo, m.end + kMargin});
  }
  return out;
}

// A free, page-aligned place for n bytes, as high as possible.
std::optional<uint64_t> free_place(const std::vector<std::pair<uint64_t, uint64_t>>& b, uint64_t n) {
  std::vector<uint64_t> candidates = {(kUserTop - n) & ~(kPage - 1)};
  for (auto [s, e] : b)
    if (s > n) candidates.push_back((s - n) & ~(kPage - 1));
  std::sort(candidates.rbegin(), candidates.rend());
  for (uint64_t c : candidates)
    if (c >= kMinAddr && c + n <= kUserTop && !meets(b, c, n)) return c;
  return std::nullopt;
}

// The address ranges the recording named, the words its ptrace poked and its
// asynchronous points: never places for the agent or a patch.
void note_recorded_places(const std::vector<Event>& events, AgentState& st) {
  uint64_t brk_lo = ~0ULL, brk_hi = 0, shm_max = 0;
  for (const Event& e : events)
    if (e.kind == EventKind::kSyscall && e.nr == SYS_shmget)
      shm_max = std::max(shm_max, clamp_len(e.args[1]));
  shm_max = std::max(shm_max, uint64_t{1} << 30);
  auto add = [&](uint64_t a, uint64_t n) {
    if (n) st.avoid.push_back({a, a + clamp_len(n)});
  };
  for (const Event& e : events) {
    if (e.kind != EventKind::kSyscall) {
      if (std::optional<SignalExtra> x = signal_extra(e)) {
        // One delivered as a syscall returned is delivered where the site's
        // syscall returns to, patched or not (agent_leave_stub).
        if (!x->at_syscall || e.kind != EventKind::kSignal)
          st.point_ips.insert(recorded_regs(*x).ip());
        st.single_steps |= x->disposition == kSigHeld && e.nr == SIGTRAP &&
                           signal_code(*x) == TRAP_TRACE;
      }
      continue;
    }
    bool ok = !syscall_failed(e.ret);
    uint64_t ret = static_cast<uint64_t>(e.ret);
    switch (e.nr) {
      case SYS_shmget: break;
      case SYS_ptrace:
        if (emulated_ptrace_changes_tracee(e) &&
            (e.args[0] == PTRACE_POKETEXT || e.args[0] == PTRACE_POKEDATA))
          st.poked.push_back({e.args[2], e.args[2] + sizeof(uint64_t)});
        break;
      case SYS_mmap:
        if (ok) add(ret, e.args[1]);
        if (e.args[0]) add(e.args[0], e.args[1]);
        break;
      case SYS_mremap:
        add(e.args[0], e.args[1]);
        if (ok) add(ret, e.args[2]);
        if (e.args[4]) add(e.args[4], e.args[2]);
        break;
      case SYS_brk:
        for (uint64_t v : {e.args[0], ret})
          if (v) brk_lo = std::min(brk_lo, v), brk_hi = std::max(brk_hi, v);
        break;
      case SYS_shmat:
        if (ok) add(ret, shm_max);
        if (e.args[1]) add(e.args[1], shm_max);
        break;
      case SYS_shmdt: add(e.args[0], shm_max); break;
      case SYS_process_madvise: break;  // ranges in an iovec: nothing of the agent's is named there
      default: add(e.args[0], e.args[1]); break;
    }
  }
  if (brk_lo < brk_hi) add(brk_lo, brk_hi - brk_lo);
}

}  // namespace

// ---- setup, stepping the main loop ----

bool Replayer::next_event(Event& e) {
  if (ahead_.empty()) return trace_.next(e);
  e = std::move(ahead_.front());
  ahead_.pop_front();
  return true;
}

const Event* Replayer::peek_event(size_t i) {
  while (ahead_.size() <= i) {
    Event x;
    if (!trace_.next(x)) return nullptr;
    ahead_.push_back(std::move(x));
  }
  return &ahead_[i];
}

void Replayer::agent_setup() {
  agent_ = std::make_unique<AgentState>();
  AgentState& st = *agent_;
  const char* env = getenv("RP_AGENT");
  st.stats = getenv("RP_AGENT_STATS") != nullptr;
  // Turned off by the user (RP_AGENT=0, a debugger, rp dump -k and -e write=): nothing to
  // say. arm64 has no agent at all (docs/design.md).
  if (agent_blob().empty() || (env && std::string(env) == "0") || control_ || syscall_observer_)
    return;
  if (has_snapshot(trace_))
    return agent_unusable("the trace starts from a snapshot (rp record -p or --ring)");
  st.on = true;
  // One scan of the events for all the calls and points the agent avoids.
  note_recorded_places(
      trace_.syscalls_with_or_kinds(
          {SYS_shmget, SYS_ptrace, SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_madvise,
           SYS_brk, SYS_shmat, SYS_shmdt, SYS_pkey_mprotect, SYS_mlock, SYS_munlock, SYS_mlock2,
           SYS_msync, SYS_remap_file_pages, SYS_mincore, SYS_process_madvise},
          {EventKind::kSignal, EventKind::kPreempt}),
      st);
  // Stepped through by its tracer, a thread meets patched sites anywhere:
  // the instructions it steps would be the stub's, not the program's.
  if (st.single_steps) {
    st.on = false;
    agent_unusable("the program single-steps a thread (its own ptrace)");
  }
}

void Replayer::agent_unusable(const std::string& why) {
  AgentState& st = *agent_;
  if (st.said_unusable || quiet_) return;
  st.said_unusable = true;
  std::cerr << "rp: replay agent not used: " << why
            << "; syscalls are replayed with a ptrace stop each (slower)\n";
}

void Replayer::agent_report() {
  if (agent_ && agent_->on && !agent_->n_patched && agent_->n_refused)
    agent_unusable("no syscall site of the program could be patched (the first: " +
                   agent_->first_refusal + ")");
  if (!agent_ || !agent_->stats || agent_->reported) return;
  agent_->reported = true;
  const AgentState& st = *agent_;
  std::cerr << "rp: agent: " << (st.on ? "on" : "off") << ", answered " << st.n_answered
            << " of " << st.n_syscalls << " syscalls in the program (" << st.n_windows
            << " windows); " << st.n_patched
            << " sites patched, " << st.n_refused << " refused\n";
  if (tsc_faults_)
    std::cerr << "rp: replay loop: rdtsc " << (tsc_trapping_ ? "trapped" : "not trapped")
              << " in rp's thread, " << *tsc_faults_ << " rdtsc faults, " << cpuid_faults_
              << " cpuid faults\n";
}

// And what replay does for such a call besides its result: for one that
// sent bytes, the check and the echo of what it sent.
bool Replayer::agent_answered(Task& t, const Event& e) {
  if (!agent_ || agent_->answered.empty() || agent_->answered.front() != e.seq) return false;
  agent_->answered.pop_front();
  auto& sent = agent_->sent;
  if (!sent.empty() && sent.front().first == e.seq) {
    const std::string bytes = std::move(sent.front().second);
    sent.pop_front();
    agent_finish_send(t, e, bytes);
  }
  return true;
}

bool Replayer::agent_will_answer(uint64_t seq) const {
  return agent_ && !agent_->answered.empty() && agent_->answered.front() == seq;
}

const Event& Replayer::agent_due(const Event& e, uint64_t answered) const {
  // The window starts at the current event and goes on with the peeked ones.
  return answered && answered <= ahead_.size() ? ahead_[answered - 1] : e;
}

AgentSpace& Replayer::agent_space(const Task& t) {
  auto& p = agent_->spaces[t.real_tgid];
  if (!p) p = std::make_shared<AgentSpace>();
  return *p;
}

void Replayer::agent_on_clone(const Task& parent, const Task& child, bool shares_memory) {
  if (!agent_ || !agent_->on) return;
  auto it = agent_->spaces.find(parent.real_tgid);
  if (it == agent_->spaces.end() || !it->second) return;
  if (child.real_tgid == parent.real_tgid) return;
  agent_->spaces[child.real_tgid] =
      shares_memory ? it->second : std::make_shared<AgentSpace>(*it->second);
}

void Replayer::agent_on_exec(pid_t old_tgid, pid_t new_tgid) {
  if (!agent_) return;
  agent_->spaces.erase(old_tgid);  // a new pointer: a vfork parent keeps the old space
  agent_->spaces.erase(new_tgid);
}

// ---- the window ----

// Whether the agent may answer e alone: its replay is its result and its
// output bytes (emulated, nothing tracked beyond what dispatch does for
// every call, no restart), and for a call that sends bytes the check and
// echo of what the agent copies of them (*send). Not the program's ptrace
// requests that change its tracee: replay applies those to the tracee when
// it replays the call, which an answered call skips. Nor sendfile and the
// like, whose echo reads the trace (echo_output).
static bool answerable(const Event& e, unsigned* mask, AgentSend* send) {
  if (e.kind != EventKind::kSyscall || e.extra == kNoReturn) return false;
  const SyscallSpec* s = syscall_spec(e.nr);
  if (!s || s->policy != RP_POLICY_EMU || kernel_copy_output_arg(e.nr) >= 0 || e.nr == SYS_prctl ||
      e.nr == SYS_set_robust_list || is_sysv_attach_or_detach(e.nr) ||
      e.nr == SYS_process_vm_writev ||  // replay writes its target (memory_writes.cc)
      e.nr == SYS_sendmmsg ||  // replay reads the descriptors it passes (fd_passing.cc)
      sets_stack_limit(e) ||             // replay applies it (stack_limit.cc)
      // replay cuts or zeroes the file's window (shared_files.h)
      truncates_file(e) || e.nr == SYS_fallocate ||
      emulated_ptrace_changes_tracee(e))
    return false;
  if (e.ret <= -512 && e.ret >= -516) return false;  // ERESTART*: the kernel restarts it
  if (e.ret == -EINTR) return false;  // a signal may follow that restarts it (ignored_restart.h)
  *mask = checked_args(e.nr, e.args, s->nargs());
  *send = {};
  if (e.in_hash && (*send = send_of(*s, e.args, e.ret, mask)).kind == RP_AGENT_SEND_NONE) return false;
  // Its strings (paths) the agent compares with the program's, as check_call
  // does: each recorded one at a string argument that is compared.
  for (const auto& m : e.mem) {
    if (!m.input) continue;
    bool at_string_arg = false;
    for (int i = 0; s->arg_kinds[i]; i++)
      at_string_arg = at_string_arg ||
                      (s->arg_kinds[i] == 's' && e.args[i] == m.addr && (*mask >> i & 1));
    if (!at_string_arg) return false;
  }
  return true;
}

// Nothing recorded between a and b but b's own entry.
static bool follows(const Event& a, const Event& b) {
  if (b.entry_seq) return b.entry_seq == a.seq + 1 && b.seq == b.entry_seq + 1;
  return b.seq == a.seq + 1;
}

void Replayer::agent_arm(Task& t, const Event& e) {
  if (!agent_ || !agent_->on || !current_ || e.seq != current_->seq || current_->tid != t.rec ||
      t.state != State::kHeld || t.resume_sig || t.step || !entries_ || entries_->waiting())
    return;
  AgentState& st = *agent_;
  auto sp = st.spaces.find(t.real_tgid);
  if (sp == st.spaces.end() || !sp->second || !sp->second->patched) return;
  const Event& first = *current_;
  if (first.entry_seq && first.seq != first.entry_seq + 1) return;
  AgentWindow& w = st.window;
  w.clear();
  std::vector<uint64_t> seqs;
  std::vector<bool> sends;
  WindowFds fds;
  const Event* cur = &first;
  auto cap = st.window_cap.try_emplace(t.rec, kMinWindowEvents).first->second;
  for (size_t i = 0; seqs.size() < cap; i++) {
    unsigned mask = 0;
    AgentSend send;
    if (!answerable(*cur, &mask, &send)) break;
    // A write rp must apply to memory at the call is not the agent's; what
    // the tables say of its descriptor holds unless the window rebound it.
    if (writes_a_file(cur->nr)) {
      WindowFds::Binding b = fds.binding(static_cast<int>(cur->args[0]));
      if (b == WindowFds::kUnknown || (b == WindowFds::kAsAtStart && write_reaches_memory(t, *cur)))
        break;
    }
    const Event* next = peek_event(i);
    // After it, the thread runs to its next syscall: it must be the next event.
    if (!next || next->kind != EventKind::kSyscall || next->tid != t.rec || !follows(*cur, *next))
      break;
    if (!w.add(*cur, mask, send)) break;
    seqs.push_back(cur->seq);
    sends.push_back(send.kind != RP_AGENT_SEND_NONE);
    fds.after(*cur);
    cur = next;
  }
  if (seqs.empty()) return;
  uint64_t window = sp->second->base + RP_AGENT_WINDOW_OFFSET;
  if (!w.write_to(t.mem, window)) return;
  st.armed = std::move(seqs);
  st.armed_sends = std::move(sends);
  st.armed_sent_start = w.size();
  st.armed_window = window;
  st.armed_tid = t.real;
  st.armed_rec = t.rec;
}

uint64_t Replayer::agent_base(pid_t tgid) const {
  if (!agent_) return 0;
  auto sp = agent_->spaces.find(tgid);
  return sp == agent_->spaces.end() || !sp->second ? 0 : sp->second->base;
}

// A fork of a replayed thread (point_unique.cc's copy) holds a copy of the
// window: emptied there, every call of the copy reaches the kernel (the
// copy's syscall stop) instead of being answered from the real thread's
// events, so the copy stops at its next syscall as it would without the agent.
bool Replayer::agent_empty_window_of_copy(pid_t copy, pid_t tgid) {
  if (!agent_ || !agent_->on) return true;
  uint64_t base = agent_base(tgid);
  return !base || write_mem(copy, base + RP_AGENT_WINDOW_OFFSET, AgentWindow::empty());
}

// At the armed thread's first stop: how many calls the agent answered.
// They are marked answered, the window disarmed.
uint64_t Replayer::agent_drain(Task& t) {
  if (!agent_ || agent_->armed.empty()) return 0;
  AgentState& st = *agent_;
  uint64_t n = 0;
  if (auto v = read_u64(st.armed_tid, st.armed_window + RP_AGENT_H_NEXT))
    n = std::min<uint64_t>(*v, st.armed.size());
  agent_take_sent(t, n);
  size_t& cap = st.window_cap[st.armed_rec];
  cap = n == st.armed.size() ? std::min(2 * cap, kMaxWindowEvents)
                             : std::max<size_t>(kMinWindowEvents, 2 * n);
  if (t.state != State::kGone) write_mem(st.armed_tid, st.armed_window, AgentWindow::empty());
  st.answered.insert(st.answered.end(), st.armed.begin(), st.armed.begin() + n);
  st.n_answered += n;
  st.n_windows += n > 0;
  st.armed.clear();
  return n;
}

// The copies of what the first n armed calls sent, those that send: read
// from the window, kept for the main loop (agent_answered).
void Replayer::agent_take_sent(Task& t, uint64_t n) {
  AgentState& st = *agent_;
  std::vector<uint64_t> seqs;
  for (uint64_t i = 0; i < n; i++)
    if (st.armed_sends[i]) seqs.push_back(st.armed[i]);
  if (seqs.empty()) return;
  auto end = read_u64(st.armed_tid, st.armed_window + RP_AGENT_H_SENT);
  std::optional<std::vector<std::string>> sent;
  if (end && *end >= st.armed_sent_start && *end <= RP_AGENT_WINDOW_BYTES) {
    std::string area = read_mem(st.armed_tid, st.armed_window + st.armed_sent_start,
                                *end - st.armed_sent_start);
    if (area.size() == *end - st.armed_sent_start) sent = parse_sent(area, seqs.size());
  }
  if (!sent)
    fail(t, "cannot read what the calls the replay agent answered sent (its window in the "
            "program is damaged)");
  for (size_t i = 0; i < seqs.size(); i++) st.sent.push_back({seqs[i], std::move((*sent)[i])});
}

// The thread stopped at the entry of the call after those the agent
// answered: back to before it, held, so that it is replayed in its turn.
void Replayer::agent_rewind(Task& t) {
  Regs r = t.regs;
  r.set_ip(r.ip() - kSyscallInsnLen);
#if defined(__x86_64__)
  r.raw.rax = r.raw.orig_rax;
#endif
  // At a stub's own syscall every register is as at the site (the stub
  // restored them): resume at the stub's entry, so that the agent is asked.
  auto sp = agent_->spaces.find(t.real_tgid);
  if (sp != agent_->spaces.end() && sp->second) {
    auto it = sp->second->stub_entry.find(r.ip());
    if (it != sp->second->stub_entry.end()) r.set_ip(it->second);
  }
  set_regs(t, r);
  t.regs = r;
  t.state = State::kHeld;
}

// A thread held where a stub's syscall returned, about to take a signal
// there: moved to where the site's syscall returns to, with rcx as that
// syscall leaves it (its return address; the stub sets it only after its
// own syscall), so that the signal frame (which the handler sees, and
// returns to) holds the program's registers, as recorded. A filler is
// there: the thread goes on in the copy when the handler returns
// (agent_interior_trap).
void Replayer::agent_leave_stub(Task& t) {
  const Regs now = get_regs(t);
  const Regs r = agent_site_regs(t.real_tgid, now);
  if (r.ip() == now.ip()) return;
  set_regs(t, r);
  t.regs = r;
}

// The registers the program would have instead of `r`: at a stub's syscall
// return, those at the site's (its return address in ip, and in rcx, as the
// syscall instruction leaves it); `r` itself anywhere else.
Regs Replayer::agent_site_regs(pid_t tgid, Regs r) const {
  if (!agent_ || !agent_->on) return r;
  auto sp = agent_->spaces.find(tgid);
  if (sp == agent_->spaces.end() || !sp->second) return r;
  auto it = sp->second->stub_return.find(r.ip());
  if (it == sp->second->stub_return.end()) return r;
  r.set_ip(it->second);
#if defined(__x86_64__)
  r.raw.rcx = it->second;
#endif
  return r;
}

// A SIGTRAP at an int3, or a SIGILL at an invalid-opcode filler, inside
// patched bytes (a branch into them): the thread goes on in the
// instruction's copy, the signal is not delivered.
bool Replayer::agent_interior_trap(Task& t, int status) {
  if (!agent_ || !agent_->on || !WIFSTOPPED(status) ||
      (WSTOPSIG(status) != SIGTRAP && WSTOPSIG(status) != SIGILL) || stop_event(status))
    return false;
  auto sp = agent_->spaces.find(t.real_tgid);
  if (sp == agent_->spaces.end() || !sp->second) return false;
  Regs r = get_regs(t);
  // int3 traps (ip after it); an invalid-opcode filler faults (ip at it).
  const bool trap = WSTOPSIG(status) == SIGTRAP;
  auto it = sp->second->interior.find(trap ? r.ip() - 1 : r.ip());
  if (it == sp->second->interior.end() || (it->second.second == 0xcc) != trap) return false;
  // Only the filler's own trap or fault: a hardware breakpoint or a step
  // stopping right after an interior instruction start is not one.
  siginfo_t si{};
  if (ptrace(PTRACE_GETSIGINFO, t.real, nullptr, &si) != 0 ||
      si.si_code != (trap ? static_cast<int>(SI_KERNEL) : static_cast<int>(ILL_ILLOPN)))
    return false;
  r.set_ip(it->second.first);
  set_regs(t, r);
  return true;
}

// ---- patching ----

bool Replayer::agent_map(Task& t, const Event& e, uint64_t addr, uint64_t len, int prot) {
  int64_t got = inject_syscall(t, e, SYS_mmap,
                               {addr, len, static_cast<uint64_t>(prot),
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, ~0ULL, 0});
  return got == static_cast<int64_t>(addr);
}

// Whether every other thread of this address space is held where the patch
// cannot hurt it (not inside the patched bytes, not running).
bool Replayer::agent_others_clear(const Task& t, const AgentSpace& sp, uint64_t site, uint64_t len) {
  for (auto& [rec, o] : tasks_) {
    if (&o == &t || o.state == State::kGone || o.state == State::kExiting) continue;
    auto it = agent_->spaces.find(o.real_tgid);
    if (it == agent_->spaces.end() || it->second.get() != &sp) continue;
    if (o.state == State::kRunning || o.state == State::kInSyscall) return false;
    Regs r;
    if (!r.read(o.real)) return false;
    if (r.ip() > site && r.ip() < site + len) return false;
  }
  return true;
}

// A place for a stub of `len` bytes that the site's jump reaches, and its
// filler (place_agent_stub): in a page already the space's, or in a new one
// (mapped here) that the recording never named and that keeps the margins
// to the program's mappings.
std::optional<std::pair<uint64_t, uint8_t>> Replayer::agent_stub_place(Task& t, const Event& e,
                                                                      const PatchSite& site,
                                                                      uint64_t len) {
  AgentSpace& sp = agent_space(t);
  const auto b = blocked(t.real, *agent_, sp.pages);
  auto place = place_agent_stub(site, len, sp.slots, kMinAddr, kUserTop, [&](uint64_t pg) {
    return sp.pages.count(pg) || !meets(b, pg, kPage);
  });
  if (!place) return std::nullopt;
  for (uint64_t pg = place->first & ~(kPage - 1); pg < place->first + len; pg += kPage) {
    if (sp.pages.count(pg)) continue;
    if (!agent_map(t, e, pg, kPage, PROT_READ | PROT_EXEC)) return std::nullopt;
    sp.pages.insert(pg);
  }
  return place;
}

// Why the bytes [site, site+len) are no code to patch for good, or "": they
// must lie in one mapping the program cannot write, of a file (an exec'd
// image, a file the recording mapped privately: anonymous memory in replay,
// file_maps_ knows it) or the vDSO. Anonymous executable memory is a JIT's,
// whose bytes after a `syscall` may be data the program reads back or code
// it writes over in part (jitsys: its data after `syscall; ret` read back
// changed).
std::string Replayer::agent_site_refusal(Task& t, uint64_t site, uint64_t len) {
  for (const ProcMap& m : read_proc_maps(t.real)) {
    if (site < m.start || site >= m.end) continue;
    if (site + len > m.end) return "the bytes to patch cross a mapping's end";
    if (m.prot() & PROT_WRITE) return "the code is writable (a JIT's)";
    if (m.shared()) return "the code is a shared mapping";
    if (m.path == "[vdso]" || (!m.path.empty() && m.path[0] == '/')) return "";
    for (const FileMaps::Range& r : file_maps_[t.real_tgid].overlapping(site, len))
      if (!r.shared && r.start <= site && site + len <= r.end) return "";
    return "the code is anonymous memory (a JIT's)";
  }
  return "the site is not mapped";
}

// At a syscall-entry stop of t (not yet emulated or executed): patches the
// site, so that its later calls go to the agent. The thread itself is
// moved to the stub's copy of what follows the syscall.
void Replayer::agent_patch_site(Task& t, const Event& e) {
  if (!agent_ || !agent_->on || t.step) return;
  AgentState& st = *agent_;
  AgentSpace& sp = agent_space(t);
  const uint64_t site = t.regs.ip() - kSyscallInsnLen;
  if (sp.unusable || sp.decided.count(site)) return;
  // A stub's own syscall (the agent did not answer) is never patched again.
  if (sp.pages.count(site & ~(kPage - 1))) return;
  std::string why;
  auto refuse = [&](const std::string& reason) {
    sp.decided.insert(site);
    if (!st.n_refused++) st.first_refusal = reason;
  };
  auto plan = plan_patch_site(t.mem.read(site, 32), site, &why, /*syscall_first=*/true);
  if (!plan) return refuse(why);
  if (std::string no = agent_site_refusal(t, site, plan->length); !no.empty()) return refuse(no);
  auto p = st.point_ips.lower_bound(site);
  if (p != st.point_ips.end() && *p < site + plan->length)
    return refuse("a recorded signal or preemption is inside the bytes to patch");
  if (meets(st.poked, site, plan->length))
    return refuse("a recorded PTRACE_POKETEXT writes into the bytes to patch");
  if (!agent_others_clear(t, sp, site, plan->length)) return;  // another time
  if (!sp.base) {
    auto place = free_place(blocked(t.real, st), RP_AGENT_MAP_BYTES);
    if (!place || !agent_map(t, e, *place, RP_AGENT_MAP_BYTES, PROT_READ | PROT_WRITE | PROT_EXEC) ||
        !t.mem.write(*place, agent_blob()) ||
        !t.mem.write(*place + RP_AGENT_WINDOW_OFFSET, AgentWindow::empty())) {
      sp.unusable = true;
      return agent_unusable("no free address range for it in process " + std::to_string(t.rec));
    }
    sp.base = *place;
  }
  const uint64_t len = agent_stub_bytes(*plan);
  auto place = agent_stub_place(t, e, *plan, len);
  if (!place) return refuse("no free address within the jump's reach of the site");
  const uint64_t at = place->first;
  auto stub = build_agent_stub(*plan, at, sp.base, &why, place->second);
  if (!stub) return refuse(why);
  // The stub first: a site is never patched to a stub that is not there.
  if (!t.mem.write(at, stub->code) || !t.mem.write(site, stub->site_bytes))
    return refuse("cannot write the stub or the site");
  sp.slots[at] = at + len;
  for (auto [orig, copy] : stub->interior) sp.interior[orig] = {copy, stub->filler};
  sp.stub_entry[stub->syscall_ip] = at;
  sp.stub_return[stub->syscall_ip + kSyscallInsnLen] = site + kSyscallInsnLen;
  sp.decided.insert(site);
  sp.patched++;
  st.n_patched++;
  t.regs.set_ip(stub->syscall_ip + kSyscallInsnLen);
  set_regs(t, t.regs);
}

}  // namespace rp
