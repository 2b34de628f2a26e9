#include "replayer.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

#include "blob.h"
#include "buffers.h"
#include "cpuid_snapshot.h"
#include "insn.h"
#include "debugreg.h"
#include "launch.h"
#include "render.h"
#include "syscall_table.h"
#include "tracee_mem.h"
#include "vdso.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace rp {
namespace {

constexpr long kOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                          PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
                          PTRACE_O_EXITKILL;

bool is_error(int64_t r) { return r < 0 && r > -4096; }

// Passes over a recorded instruction before run_to_point stops searching
// (about 20 µs each here: a few seconds).
constexpr uint64_t kMaxBreakpointHits = 50000;

int stop_event(int status) { return status >> 16; }
bool is_syscall_stop(int status) {
  return WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80);
}

bool sync_fault(int sig, const SignalExtra& x) {
  int32_t code;
  std::memcpy(&code, x.siginfo + 8, 4);
  bool fault_sig = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                   sig == SIGTRAP;
  return fault_sig && code > 0;  // raised by the CPU/kernel, not sent
}

// Signals whose default action is to do nothing.
bool default_ignored(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}


// Which arguments the kernel reads, as a bit mask: the others may hold
// whatever was left in the registers and must not be compared.
unsigned checked_args(int64_t nr, const uint64_t args[6], int nargs) {
  unsigned all = (1u << nargs) - 1;
  if (nr != SYS_futex) return all;
  switch (args[1] & 127) {
    case 0: return 0b1111;        // WAIT: uaddr, op, val, timeout
    case 1: return 0b111;         // WAKE
    case 3: return 0b11111;       // REQUEUE
    case 6: case 13: return 0b1011;  // LOCK_PI(2): timeout
    case 7: case 8: return 0b11;  // UNLOCK_PI, TRYLOCK_PI
    case 9: return 0b101111;      // WAIT_BITSET
    case 10: return 0b100111;     // WAKE_BITSET
    case 11: return 0b11111;      // WAIT_REQUEUE_PI
    default: return all;
  }
}

}  // namespace

Replayer::~Replayer() {
  for (auto& [rec, t] : tasks_)
    if (t.state != State::kGone) kill(t.real, SIGKILL);
}

void Replayer::diverge(const Event& e, const std::string& why) {
  throw Divergence("replay diverged at event " + std::to_string(e.seq) + " (tid " +
                   std::to_string(e.tid) + "): " + why);
}

Replayer::Task& Replayer::task(pid_t rec, const Event& e) {
  auto it = tasks_.find(rec);
  // Its end may already be observed: a group exit reaps every thread of the
  // process when the leader's end comes, and a kernel backend may order a
  // killed thread's unfinished syscall after that.
  bool gone_ok = e.kind == EventKind::kTaskExit ||
                 (e.kind == EventKind::kSyscall && e.extra == kNoReturn);
  if (it == tasks_.end() || (it->second.state == State::kGone && !gone_ok))
    diverge(e, "the trace names thread " + std::to_string(rec) + ", which does not exist");
  return it->second;
}

void Replayer::resume(Task& t) {
  cont(t, t.resume_sig);
  t.resume_sig = 0;
  t.state = State::kRunning;
}

// ---- debugger hooks ----

void Replayer::cont(Task& t, int sig) {
  t.ran_seq = seq_;
  ptrace(t.step ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU, t.real, nullptr, sig);
}

bool Replayer::debug_trap(Task& t, int status) {
  if (!control_ || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP || stop_event(status))
    return false;
  return control_->on_stop(*this, ReplayStop{ReplayStop::kTrap, t.rec});
}

void Replayer::notify(ReplayStop::Kind kind, pid_t tid, int64_t value, const Event* e) {
  if (control_) control_->on_stop(*this, ReplayStop{kind, tid, value, e});
}

std::vector<DebugTask> Replayer::debug_tasks() const {
  std::vector<DebugTask> out;
  for (const auto& [rec, t] : tasks_) {
    if (t.state == State::kGone) continue;
    out.push_back(DebugTask{rec, t.real, t.real_tgid, t.state != State::kInSyscall,
                            t.state == State::kHeld, t.ran_seq});
  }
  return out;
}

void Replayer::set_stepping(pid_t rec_tid, bool on) {
  auto it = tasks_.find(rec_tid);
  if (it != tasks_.end()) it->second.step = on;
}

int Replayer::wait(Task& t) {
  int status;
  for (;;) {
    pid_t r = waitpid(t.real, &status, __WALL);
    if (r == t.real) break;
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
  }
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    t.state = State::kGone;
    t.exit_status = status;
  }
  return status;
}

// Waits for a syscall stop of the wanted kind (entry/exit) while the task
// executes a syscall for real, passing over ptrace events and the exit stop
// the kernel reports for a call that PTRACE_SYSEMU skipped.
int Replayer::wait_syscall_stop(Task& t, bool want_entry) {
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone) return status;
    if (is_syscall_stop(status)) {
      __ptrace_syscall_info info{};
      ptrace(PTRACE_GET_SYSCALL_INFO, t.real, sizeof info, &info);
      bool entry = info.op == PTRACE_SYSCALL_INFO_ENTRY;
      if (entry == want_entry) return status;
      ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
      continue;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && stop_event(status)) {
      return status;  // the caller handles fork/exec/exit events
    }
    // A real-world signal (e.g. SIGCHLD of a real child) the recording did
    // not have at this point: suppressed; recorded signals are injected.
    ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
  }
}

void Replayer::reach_syscall(Task& t, const Event& e) {
  if (t.state == State::kInSyscall) finish_in_syscall(t);
  if (t.state == State::kAtSyscall) diverge(e, "thread is already stopped at another syscall");
  if (t.state == State::kHeld) resume(t);
  if (t.state != State::kRunning) diverge(e, "thread " + std::to_string(t.rec) + " has exited");
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone)
      diverge(e, "the program " + render_wait_status(status) + ", the trace expects " +
                     render_call(e, false));
    if (is_syscall_stop(status)) {
      __ptrace_syscall_info info{};
      ptrace(PTRACE_GET_SYSCALL_INFO, t.real, sizeof info, &info);
      if (info.op != PTRACE_SYSCALL_INFO_ENTRY) {
        cont(t, 0);
        continue;
      }
      t.nr = static_cast<int64_t>(info.entry.nr);
      for (int i = 0; i < 6; i++) t.args[i] = info.entry.args[i];
      t.regs.read(t.real);
      t.state = State::kAtSyscall;
      return;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && stop_event(status)) {
      if (stop_event(status) == PTRACE_EVENT_EXIT)
        diverge(e, "the program is exiting, the trace expects " + render_call(e, false));
      cont(t, 0);
      continue;
    }
    if (debug_trap(t, status)) {
      cont(t, 0);
      continue;
    }
    int sig = WSTOPSIG(status);
    siginfo_t si{};
    ptrace(PTRACE_GETSIGINFO, t.real, nullptr, &si);
    if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) && si.si_code > 0) {
      Regs r;
      r.read(t.real);
      diverge(e, std::string("the program got ") + sigabbrev_np(sig) + " (" + r.describe() +
                     "), the trace expects " + render_call(e, false));
    }
    cont(t, 0);  // suppress real-world signals
  }
}

void Replayer::check_call(Task& t, const Event& e) {
  Event actual;
  actual.nr = t.nr;
  std::memcpy(actual.args, t.args, sizeof actual.args);
  const SyscallSpec* s = syscall_spec(t.nr);
  if (s)
    for (int i = 0; s->arg_kinds[i]; i++)
      if (s->arg_kinds[i] == 's' && t.args[i])
        actual.mem.push_back(MemRecord{t.args[i], read_cstring(t.real, t.args[i]), true});
  auto mismatch = [&](const std::string& what) {
    diverge(e, what + "\n  recorded: " + render_call(e) + "\n  replayed: " +
                   render_call(actual, false));
  };
  if (t.nr != e.nr) mismatch("a different syscall");
  if (!s) return;
  unsigned mask = checked_args(e.nr, e.args, s->nargs());
  for (int i = 0; i < s->nargs(); i++)
    if ((mask >> i & 1) && t.args[i] != e.args[i])
      mismatch("argument " + std::to_string(i + 1) + " differs");
  for (const auto& m : e.mem) {
    if (!m.input) continue;
    bool same = false;
    for (const auto& a : actual.mem)
      if (a.addr == m.addr && a.bytes == m.bytes) same = true;
    if (!same) mismatch("a string argument differs");
  }
  if (e.in_hash) {
    std::string data;
    for (const auto& r : input_regions(*s, t.args, tracee_word_reader(t.real)))
      data += read_mem(t.real, r.addr, r.len);
    if (hash64(data) != *e.in_hash) mismatch("the data it sends differs from the recording");
  }
}

void Replayer::write_recorded_mem(Task& t, const Event& e) {
  for (const auto& m : e.mem) {
    if (m.input) continue;
    if (!write_mem(t.real, m.addr, m.bytes))
      diverge(e, "cannot write the recorded " + std::to_string(m.bytes.size()) +
                     " bytes at " + std::to_string(m.addr) + " (memory layout differs)");
  }
}

void Replayer::echo_output(Task& t, const Event& e) {
  if (quiet_ || is_error(e.ret)) return;
  if (e.nr != SYS_write && e.nr != SYS_writev && e.nr != SYS_pwrite64) return;
  int fd = output_fds_.target(e.tid, static_cast<int>(e.args[0]));
  if (fd == 0) return;
  const SyscallSpec* s = syscall_spec(e.nr);
  std::string data;
  for (const auto& r : input_regions(*s, t.args, tracee_word_reader(t.real)))
    data += read_mem(t.real, r.addr, r.len);
  data.resize(std::min<size_t>(data.size(), static_cast<size_t>(e.ret)));
  FILE* out = fd == 1 ? stdout : stderr;
  fwrite(data.data(), 1, data.size(), out);
  fflush(out);
}

void Replayer::emulate(Task& t, const Event& e) {
  echo_output(t, e);
  write_recorded_mem(t, e);
  t.regs.set_ret(e.ret);
  if (!t.regs.write(t.real)) diverge(e, "cannot set registers");
  t.state = State::kHeld;
}

// The call was skipped at this PTRACE_SYSEMU stop: back up over the syscall
// instruction and let it run again under PTRACE_SYSCALL, up to its entry stop.
void Replayer::reenter_syscall(Task& t, const Event& e) {
  Regs r = t.regs;
  r.set_ip(r.ip() - kSyscallInsnLen);
#if defined(__x86_64__)
  r.raw.rax = r.raw.orig_rax;
#endif
  r.write(t.real);
  ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
  wait_syscall_stop(t, true);
  if (t.state == State::kGone) diverge(e, "the program died executing " + render_call(e));
}

void Replayer::execute(Task& t, const Event& e) {
  const SyscallSpec* s = syscall_spec(e.nr);
  reenter_syscall(t, e);
  int status;
  if (s->policy == RP_POLICY_MMAP) {
    // Place the mapping where it was; a file mapping becomes anonymous memory
    // that receives the recorded bytes below.
    Regs m;
    m.read(t.real);
    uint64_t flags = e.args[3];
    bool fixed = flags & MAP_FIXED;
    if (!(flags & MAP_ANONYMOUS)) {
      flags = (flags & ~uint64_t{0x3}) | MAP_PRIVATE | MAP_ANONYMOUS;
      m.set_arg(4, static_cast<uint64_t>(-1));
      m.set_arg(5, 0);
    }
    if (!fixed) flags |= MAP_FIXED_NOREPLACE;
    m.set_arg(0, static_cast<uint64_t>(e.ret));
    m.set_arg(3, flags);
    m.write(t.real);
  }
  ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
  for (;;) {
    status = wait_syscall_stop(t, false);
    if (t.state == State::kGone) diverge(e, "the program died executing " + render_call(e));
    if (is_syscall_stop(status)) break;
    ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);  // exec event: the exit stop follows
  }
  Regs after;
  after.read(t.real);
  if (e.nr == SYS_set_tid_address) {
    // Returns the caller's tid: the program must see the recorded one.
    after.set_ret(e.ret);
    after.write(t.real);
  }
  if (s->policy != RP_POLICY_SIGRETURN && after.ret() != e.ret)
    diverge(e, "executing it for real gave " + render_return(after.ret()) + "\n  recorded: " +
                   render_call(e));
  write_recorded_mem(t, e);
  if (s->policy == RP_POLICY_EXECVE) {
    t.real_tgid = t.real;
    std::string why;  // patched at the same stop as in the recording
    if (!patch_vdso(t.real, &why)) diverge(e, why);
  }
  t.regs = after;
  t.state = State::kHeld;
}

void Replayer::execute_clone(Task& t, const Event& e) {
  reenter_syscall(t, e);
  ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
  int status = wait_syscall_stop(t, false);
  if (t.state == State::kGone) diverge(e, "the program died in " + render_call(e));
  int ev = stop_event(status);
  if (is_syscall_stop(status) || (ev != PTRACE_EVENT_CLONE && ev != PTRACE_EVENT_FORK &&
                                  ev != PTRACE_EVENT_VFORK))
    diverge(e, "the clone did not create a task in replay");
  unsigned long msg = 0;
  ptrace(PTRACE_GETEVENTMSG, t.real, nullptr, &msg);
  Task& c = tasks_[static_cast<pid_t>(e.ret)];
  c = Task{};
  c.rec = static_cast<pid_t>(e.ret);
  c.real = static_cast<pid_t>(msg);
  uint64_t flags = e.nr == SYS_clone ? e.args[0] : 0;
  c.real_tgid = (flags & CLONE_THREAD) ? t.real_tgid : c.real;
  output_fds_.on_new_task(t.rec, c.rec, flags & CLONE_FILES);
  // The child starts with a SIGSTOP, which is not delivered.
  int cs;
  while (waitpid(c.real, &cs, __WALL) < 0 && errno == EINTR) {
  }
  c.state = State::kHeld;
  // The program must see the recorded tid wherever the kernel wrote the real one.
  uint32_t rec_tid = static_cast<uint32_t>(e.ret);
  std::string tid_bytes(reinterpret_cast<const char*>(&rec_tid), 4);
  if ((flags & CLONE_PARENT_SETTID) && e.args[2]) write_mem(t.real, e.args[2], tid_bytes);
  if ((flags & CLONE_CHILD_SETTID) && e.args[kCloneChildTidArg])
    write_mem(c.real, e.args[kCloneChildTidArg], tid_bytes);
  t.fixup_ret = e.ret;
  ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
  t.state = State::kInSyscall;
  // A vfork parent stays in the kernel until the child execs or exits, so
  // its exit stop is collected when its next event comes.
  bool vfork = flags & CLONE_VFORK;
#if defined(SYS_vfork)
  vfork = vfork || e.nr == SYS_vfork;
#endif
  if (!vfork) finish_in_syscall(t);
}

void Replayer::finish_in_syscall(Task& t) {
  for (;;) {
    int status = wait_syscall_stop(t, false);
    if (t.state == State::kGone) return;
    if (is_syscall_stop(status)) break;
    ptrace(PTRACE_SYSCALL, t.real, nullptr, 0);
  }
  Regs after;
  after.read(t.real);
  after.set_ret(t.fixup_ret);
  after.write(t.real);
  t.regs = after;
  t.state = State::kHeld;
}

void Replayer::execute_exit(Task& t, const Event& e) {
  // Run it into the kernel's exit path and hold it at PTRACE_EVENT_EXIT,
  // before the kernel clears its tid for pthread_join: other threads' user
  // code may still see it alive, as it did until the recorded end (kTaskExit).
  // PTRACE_SYSEMU already skipped the call at this stop: enter it again.
  reenter_syscall(t, e);
  ptrace(PTRACE_CONT, t.real, nullptr, 0);
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone) return;
    if (WIFSTOPPED(status) && stop_event(status) == PTRACE_EVENT_EXIT) break;
    ptrace(PTRACE_CONT, t.real, nullptr, 0);
  }
  t.state = State::kExiting;
}

void Replayer::deliver_signal(Task& t, const Event& e) {
  int sig = static_cast<int>(e.nr);
  SignalExtra x{};
  if (e.extra.size() < sizeof x) diverge(e, "damaged signal record");
  std::memcpy(&x, e.extra.data(), sizeof x);
  if (x.disposition == kSigIgnored || (x.disposition == kSigDefault && default_ignored(sig)))
    return;  // delivering it changed nothing in the recorded run
  if (t.state == State::kInSyscall) finish_in_syscall(t);
  bool fault = sync_fault(sig, x);
  if (t.state != State::kHeld) diverge(e, "thread is not where the signal was delivered");
  if (!fault && !x.at_syscall) {
    // Asynchronous, in user code: without a branch counter, stop the thread
    // where its registers are exactly those recorded, then deliver there.
    Regs target;
    std::memcpy(&target.raw, x.regs, sizeof target.raw);
    run_to_point(t, e, target);
    ptrace(PTRACE_SETSIGINFO, t.real, nullptr, x.siginfo);
    t.resume_sig = sig;
    notify(ReplayStop::kSignal, t.rec, sig);
    return;
  }
  if (!fault) syscall(SYS_tgkill, t.real_tgid, t.real, sig);
  resume(t);
  wait_signal_stop(t, e, sig, std::string("the trace expects ") + sigabbrev_np(sig) +
                                  ", the program made a syscall instead");
  if (!fault) ptrace(PTRACE_SETSIGINFO, t.real, nullptr, x.siginfo);
  t.resume_sig = sig;
  t.state = State::kHeld;
  notify(ReplayStop::kSignal, t.rec, sig);
}

// Waits until a resumed thread stops for `sig`, suppressing real-world
// signals the recording did not have; a syscall first is a divergence.
void Replayer::wait_signal_stop(Task& t, const Event& e, int sig,
                                const std::string& syscall_instead) {
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone) diverge(e, "the program " + render_wait_status(status));
    if (is_syscall_stop(status)) {
      clear_exec_breakpoint(t.real);  // run_to_point's, if set
      diverge(e, syscall_instead);
    }
    if (debug_trap(t, status)) {
      cont(t, 0);
      continue;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == sig && !stop_event(status)) return;
    cont(t, 0);  // a real-world signal: suppressed
  }
}

void Replayer::replay_insn(Task& t, const Event& e) {
  if (t.state != State::kHeld) diverge(e, "thread is not where the instruction ran");
  resume(t);
  wait_signal_stop(t, e, SIGSEGV,
                   "the trace expects a trapped instruction, the program made a syscall");
  Regs r;
  r.read(t.real);
  int len = 0;
  auto kind = decode_trapped(read_mem(t.real, r.ip(), 16), r.ip(), &len);
  if (static_cast<int64_t>(kind) != e.nr)
    diverge(e, std::string("the program faulted at ") + r.describe() + ", the trace expects " +
                   trapped_insn_name(static_cast<TrappedInsn>(e.nr)));
#if defined(__x86_64__)
  r.raw.rax = e.args[0];
  r.raw.rdx = e.args[1];
  if (kind == TrappedInsn::kRdtscp || kind == TrappedInsn::kCpuid) r.raw.rcx = e.args[2];
  if (kind == TrappedInsn::kCpuid) r.raw.rbx = e.args[3];
#endif
  r.set_ip(r.ip() + static_cast<uint64_t>(len));
  r.write(t.real);
  t.resume_sig = 0;  // the SIGSEGV is not delivered
  t.state = State::kHeld;
}

// Runs a thread until its registers equal `target` (a point in user code
// where the recording delivered a signal or preempted it). Without a branch
// counter: a hardware execution breakpoint at the recorded instruction (one
// stop per pass, no code patching) and, at each hit, a comparison of every
// register; a loop passes the instruction with other values until the
// recorded iteration. Leaves the thread in the breakpoint's SIGTRAP stop.
void Replayer::run_to_point(Task& t, const Event& e, const Regs& target) {
  if (t.state != State::kHeld) diverge(e, "thread is not between events");
  Regs now;
  now.read(t.real);
  if (now.same_user_state(target) && t.resume_sig == 0) {
    // Already there (e.g. a signal that was pending when a handler returned).
    // Stop it in a SIGTRAP signal-delivery stop like the breakpoint would.
    syscall(SYS_tgkill, t.real_tgid, t.real, SIGTRAP);
    ptrace(PTRACE_SYSEMU, t.real, nullptr, 0);
    int status = wait(t);
    if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP) {
      t.state = State::kHeld;
      return;
    }
    diverge(e, "cannot stop the thread where it is");
  }
#if defined(__x86_64__)
  // A resume flag left set (by the last breakpoint, or restored by
  // sigreturn from a frame saved at one) would skip the breakpoint once.
  if (now.raw.eflags & 0x10000) {
    now.raw.eflags &= ~0x10000ULL;
    now.write(t.real);
  }
#endif
  if (!set_exec_breakpoint(t.real, target.ip()))
    diverge(e, "cannot set a hardware breakpoint at " + target.describe());
  uint64_t hits = 0;
  const std::string too_early =
      "the program made a syscall before reaching the recorded point (" + target.describe() + ")";
  for (;;) {
    cont(t, t.resume_sig);
    t.resume_sig = 0;
    t.state = State::kRunning;
    wait_signal_stop(t, e, SIGTRAP, too_early);
    now.read(t.real);
    if (now.ip() != target.ip()) {
      clear_exec_breakpoint(t.real);
      diverge(e, "unexpected SIGTRAP at " + now.describe());
    }
    if (now.same_user_state(target)) break;
    if (++hits >= kMaxBreakpointHits) {
      // A hot loop (a spin-wait on memory, a tight compute loop): searching
      // pass by pass would take too long without a branch counter. At this
      // instruction the loop differs from the recorded iteration only in
      // registers, if it writes no memory per iteration: take the recorded
      // registers. Said on stderr, since that premise is not verified.
      now.raw = target.raw;
      now.write(t.real);
      if (!warned_teleport_)
        std::cerr << "rp: warning: event " << e.seq << ": recorded point reached by setting "
                  << "registers after " << hits << " passes (see docs/design.md)\n";
      warned_teleport_ = true;
      break;
    }
  }
  clear_exec_breakpoint(t.real);
  t.state = State::kHeld;
}

void Replayer::observe_exit(Task& t, const Event& e) {
  int want = static_cast<int>(e.ret);
  if (t.state == State::kAtSyscall && WIFSIGNALED(want)) {
    // Killed in a syscall that never returned (e.g. kill(getpid(), SIGKILL)):
    // the same signal, for real, ends the same way.
    syscall(SYS_tgkill, t.real_tgid, t.real, WTERMSIG(want));
  }
  if (t.state == State::kHeld || t.state == State::kExiting || t.state == State::kAtSyscall) {
    // PTRACE_SYSEMU: whatever it does on its way out must not reach the
    // outside world.
    ptrace(t.state == State::kExiting ? PTRACE_CONT : PTRACE_SYSEMU, t.real, nullptr,
           t.resume_sig);
    t.resume_sig = 0;
    t.state = State::kRunning;
  }
  // A thread group leader is reported only after its other threads: those a
  // group exit is killing must be let go first (their own ends, recorded
  // later, then just find them gone).
  if (t.real == t.real_tgid) {
    for (auto& [rec, o] : tasks_) {
      if (&o == &t || o.real_tgid != t.real_tgid || o.state == State::kGone) continue;
      if (o.state != State::kRunning) ptrace(PTRACE_CONT, o.real, nullptr, 0);
      o.state = State::kRunning;
      // Traced threads stay zombies until reaped, and hold the leader's report.
      while (o.state != State::kGone) {
        int st = wait(o);
        if (o.state != State::kGone) ptrace(PTRACE_CONT, o.real, nullptr, 0);
        (void)st;
      }
    }
  }
  while (t.state != State::kGone) {
    int status = wait(t);
    if (t.state == State::kGone) break;
    if (is_syscall_stop(status))
      diverge(e, "the trace says the thread ended, the program made a syscall");
    ptrace(PTRACE_CONT, t.real, nullptr, 0);
  }
  int got = *t.exit_status;
  bool same = WIFEXITED(want) ? WIFEXITED(got) && WEXITSTATUS(got) == WEXITSTATUS(want)
                              : WIFSIGNALED(got) && WTERMSIG(got) == WTERMSIG(want);
  if (!same)
    diverge(e, "the program " + render_wait_status(got) + ", the recording " +
                   render_wait_status(want));
}

pid_t Replayer::launch(LaunchSpec& spec) {
  for (const auto& f : trace_.files())
    spec.root_files.push_back(ExecFile{f.path, trace_.blob(f.blob), static_cast<int>(f.mode)});
  if (spec.root_files.empty()) return launch_traced(spec, kOptions);  // an older trace
  char dir[] = "/tmp/rp-root-XXXXXX";
  if (!mkdtemp(dir)) throw_errno("mkdtemp");
  spec.root_dir = dir;
  try {
    pid_t pid = launch_traced(spec, kOptions);
    rmdir(dir);  // the tmpfs lives in the child's mount namespace only
    return pid;
  } catch (const std::exception& e) {
    rmdir(dir);
    std::cerr << "rp: warning: no private root for the replay (" << e.what()
              << "); using this machine's files\n";
    spec.root_files.clear();
    return launch_traced(spec, kOptions);
  }
}

int Replayer::run() {
  LaunchSpec spec;
  spec.exe_path = trace_.meta_or("exe_path", "");
  spec.argv = trace_.list("argv");
  spec.envp = trace_.list("env");
  spec.cwd = trace_.meta_or("cwd", "");
  spec.stack_limit_cur = std::stoll(trace_.meta_or("stack_limit", "-1"));
  if (spec.exe_path.empty() || spec.argv.empty()) throw Error("trace has no command line");
  if (auto rec = trace_.meta("cpuid")) {
    std::string diff = cpuid_first_difference(*rec, cpuid_snapshot());
    if (!diff.empty())
      std::cerr << "rp: warning: this CPU's CPUID differs from the recording's (" << diff
                << "): code that picks paths by CPU features may diverge\n";
  }
  int exit_code = std::stoi(trace_.meta_or("exit_code", "0"));

  Event e;
  if (!trace_.next(e) || e.kind != EventKind::kSyscall || e.nr != SYS_execve || e.ret != 0)
    throw Error("trace does not start with the program's execve");
  pid_t root = launch(spec);
  Task& r = tasks_[e.tid];
  r.rec = e.tid;
  r.real = r.real_tgid = root;
  ptrace(PTRACE_SYSCALL, root, nullptr, 0);
  r.state = State::kRunning;
  wait_syscall_stop(r, false);  // execve's exit stop
  if (r.state == State::kGone) throw Error("the program died while starting");
  write_recorded_mem(r, e);
  std::string why;  // patched at the same stop as in the recording
  if (!patch_vdso(root, &why)) throw Error(why);
  r.state = State::kHeld;
  root_rec_ = e.tid;
  seq_ = e.seq;
  notify(ReplayStop::kStart, e.tid);

  // Threads enter syscalls in the recorded entry order and leave them in the
  // recorded completion order: a thread that entered a blocking call before
  // another thread acted must have run its user code before that act too.
  uint64_t entry_seq = 0, entry_of = 0;
  int32_t entry_tid = 0;
  bool entry_pending = trace_.next_entry(entry_seq, entry_tid, entry_of);
  std::vector<std::pair<int32_t, uint64_t>> deferred;
  while (trace_.next(e)) {
    events_++;
    seq_ = e.seq;
    notify(ReplayStop::kBeforeEvent, e.tid, 0, &e);
    // A new thread may enter its first syscall before its creator's clone
    // returned; its entry waits until the thread exists in the replay.
    auto enter = [&](int32_t tid, uint64_t of) {
      auto it = tasks_.find(tid);
      if (it == tasks_.end()) return false;
      if (it->second.state == State::kAtSyscall || of < e.seq) return true;
      Event placeholder = e;
      placeholder.seq = of;
      Task& et = it->second;
      reach_syscall(et, placeholder);
      // A fork's child may act before its parent's fork returns (always, for
      // vfork): create the child as soon as the parent enters the call. And a
      // vfork parent resumes inside its child's execve, before that execve
      // returns: run an execve when it is entered too.
      bool clone = et.nr == SYS_clone;
#if defined(SYS_fork)
      clone = clone || et.nr == SYS_fork || et.nr == SYS_vfork;  // not on arm64
#endif
      bool exec = et.nr == SYS_execve || et.nr == SYS_execveat;
      if (clone || exec) {
        Event ce = trace_.event_at(of);
        bool ok = clone ? !is_error(ce.ret) : ce.ret == 0;
        if (ce.kind == EventKind::kSyscall && ce.extra != kNoReturn && ok) {
          check_call(et, ce);
          if (clone)
            execute_clone(et, ce);
          else
            execute(et, ce);
          et.done_seq = of;
        }
      }
      return true;
    };
    for (auto it = deferred.begin(); it != deferred.end();)
      it = enter(it->first, it->second) ? deferred.erase(it) : std::next(it);
    while (entry_pending && entry_seq < e.seq) {
      if (!enter(entry_tid, entry_of)) deferred.emplace_back(entry_tid, entry_of);
      entry_pending = trace_.next_entry(entry_seq, entry_tid, entry_of);
    }
    Task& t = task(e.tid, e);
    switch (e.kind) {
      case EventKind::kSyscall: {
        output_fds_.apply(e, 0);
        if (t.done_seq == e.seq) break;  // executed when it was entered
        if (t.state == State::kGone) break;  // an unfinished call of a reaped thread
        if (t.state != State::kAtSyscall) reach_syscall(t, e);
        check_call(t, e);
        if (e.extra == kNoReturn) break;  // it died in there: see observe_exit
        const SyscallSpec* s = syscall_spec(e.nr);
        rp_policy p = s ? s->policy : RP_POLICY_EMU;
        if (p == RP_POLICY_MMAP && is_error(e.ret)) p = RP_POLICY_EMU;
        if (p == RP_POLICY_EXECVE && e.ret != 0) p = RP_POLICY_EMU;
        switch (p) {
          case RP_POLICY_EXEC:
          case RP_POLICY_MMAP:
          case RP_POLICY_EXECVE:
          case RP_POLICY_SIGRETURN: execute(t, e); break;
          case RP_POLICY_CLONE:
            if (is_error(e.ret))
              emulate(t, e);
            else
              execute_clone(t, e);
            break;
          case RP_POLICY_EXIT:
            notify(ReplayStop::kExiting, t.rec, e.nr);
            execute_exit(t, e);
            break;
          default: emulate(t, e); break;
        }
        break;
      }
      case EventKind::kSignal: deliver_signal(t, e); break;
      case EventKind::kTaskExit:
        observe_exit(t, e);
        notify(ReplayStop::kTaskGone, t.rec, e.ret);
        break;
      case EventKind::kPreempt: {
        SignalExtra x{};
        if (e.extra.size() < sizeof x) diverge(e, "damaged preemption record");
        std::memcpy(&x, e.extra.data(), sizeof x);
        Regs target;
        std::memcpy(&target.raw, x.regs, sizeof target.raw);
        run_to_point(t, e, target);
        t.resume_sig = 0;  // the breakpoint's SIGTRAP is not delivered
        break;
      }
      case EventKind::kInsn: replay_insn(t, e); break;
    }
  }
  notify(ReplayStop::kEnd, 0);
  for (auto& [rec, t] : tasks_) {
    if (t.state == State::kGone) continue;
    // The recording ended here; anything still running has no trace left.
    kill(t.real, SIGKILL);
    t.state = State::kGone;
  }
  return exit_code;
}

int replay_main(const ReplayOptions& opts) {
  TraceReader trace(opts.trace);
  std::string arch = trace.meta_or("arch", "?");
  if (arch != kArchName)
    throw Error("trace was recorded on " + arch + ", this machine is " + kArchName);
  Replayer r(trace, opts.quiet);
  return r.run();
}

}  // namespace rp
