// Signals, trapped instructions, preemption points and task ends in replay.
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <iostream>

#include "debugreg.h"
#include "insn.h"
#include "render.h"
#include "replayer.h"
#include "rp_abi.h"
#include "syscall_table.h"
#include "tracee_mem.h"

namespace rp {
namespace {

// Passes over a recorded instruction watched with the breakpoint before the
// patched search takes over, and the most the breakpoint search makes when
// the patched one is unavailable (about 20 µs each here: a few seconds).
constexpr uint64_t kBreakpointFirst = 8;
constexpr uint64_t kMaxBreakpointHits = 50000;
// Events looked ahead for a thread's next one (other threads' in between).
constexpr size_t kMaxSignalPeek = 4096;

struct PointSearchLimits {
  uint64_t max_passes = 1000000000;  // the patched search's limit (~5 ns a pass)
  bool breakpoint_only = false;
};

// No CPU of today runs more than this many passes in a ns of the recording's
// clock. A pass is not a cycle: these CPUs run the tight loop of conformance
// cpu_limit_signal at 7.7 to 8.2 passes per ns (15.3 and 16.3 * 10^9 passes
// in its 2 s), which the first bound, 8, cut short in one CI run in two.
constexpr uint64_t kMaxPassesPerNs = 32;

// Testing knobs (docs/design.md): RP_POINT_SEARCH=breakpoint leaves out the
// patched search, RP_POINT_MAX_PASSES=N sets the limit of both. Otherwise
// the limit is 10^9 passes, or what the thread could have run in the time
// the recording took from its last event to the point (ran_ns), if more: a
// loop of 3*10^9 passes before a SIGXCPU is reachable, a point that is not
// is reported after a bounded search.
PointSearchLimits point_search_limits(std::optional<int64_t> ran_ns) {
  PointSearchLimits l;
  // The times come from the trace (untrusted): a product past 2^64 would
  // wrap to a small limit, so the time is capped first.
  constexpr uint64_t kMaxRanNs = UINT64_MAX / kMaxPassesPerNs;
  if (ran_ns && *ran_ns > 0)
    l.max_passes = std::max(l.max_passes,
                            std::min(static_cast<uint64_t>(*ran_ns), kMaxRanNs) * kMaxPassesPerNs);
  if (const char* s = getenv("RP_POINT_SEARCH")) l.breakpoint_only = std::string(s) == "breakpoint";
  if (const char* s = getenv("RP_POINT_MAX_PASSES")) {
    char* end = nullptr;
    unsigned long long n = strtoull(s, &end, 10);
    if (end != s && *end == '\0' && n > 0) l.max_passes = n;
  }
  return l;
}

bool sync_fault(int sig, const SignalExtra& x) { return own_fault(sig, signal_code(x)); }

// A signal the kernel forced on the thread (force_sig) that replay raises
// itself: a seccomp filter's SIGSYS (SECCOMP_RET_TRAP; filters are not
// installed in replay). Faults the CPU raises again in replay are forced
// by the kernel there.
bool forced_by_kernel(int sig, const SignalExtra& x) {
  return sig == SIGSYS && signal_code(x) == 1;  // SYS_SECCOMP
}

// Whether a stop of the thread with stop signal sig is the group-stop a stop
// signal given to it earlier entered (the kernel reports it as a stop with
// that signal, with no siginfo: PTRACE_GETSIGINFO fails with EINVAL), not
// the delivery stop of the one just sent.
bool group_stop_report(pid_t real, int sig) {
  if (sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) return false;
  siginfo_t si{};
  return ptrace(PTRACE_GETSIGINFO, real, nullptr, &si) != 0 && errno == EINVAL;
}

// Whether the thread is in a syscall stop (rather than a signal stop).
bool at_syscall_stop(pid_t tid) {
  __ptrace_syscall_info info{};
  return ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) > 0 &&
         info.op != PTRACE_SYSCALL_INFO_NONE;
}

}  // namespace

void Replayer::deliver_signal(Task& t, const Event& e) {
  int sig = static_cast<int>(e.nr);
  std::optional<SignalExtra> parsed = signal_extra(e);
  if (!parsed) diverge(e, "damaged signal record");
  SignalExtra& x = *parsed;  // PTRACE_SETSIGINFO takes a non-const pointer
  if (x.disposition == kSigHeld) return hold_at_fault(t, e, sig, x);
  if (deliver_at_held_fault(t, sig, x)) return;
  if (x.disposition == kSigIgnored || (x.disposition == kSigDefault && ignored_by_default(sig))) {
    // No handler ran: the kernel restarted the call, unless it dequeued
    // another signal first, still at the call's return; that one (sent for
    // real, the restart code still in place) decides, as in the kernel.
    // The recorder restarted an EINTR the tracing alone caused (ignored_restart.h).
    bool eintr = x.at_syscall == kAtSyscallRestarted;
    if (!next_own_signal_at_syscall(t)) restart_interrupted_call(t, eintr);
    return;  // delivering it changed nothing else
  }
  if (t.state == State::kInSyscall) finish_in_syscall(t);
  bool fault = sync_fault(sig, x);
  if (t.state != State::kHeld) diverge(e, "thread is not where the signal was delivered");
  if (!fault && !x.at_syscall) {
    // Asynchronous, in user code: without a branch counter, stop the thread
    // where its registers are exactly those recorded, then deliver there.
    run_to_point(t, e, recorded_regs(x), AtPoint::kDeliverSignal);
    request(t, PTRACE_SETSIGINFO, nullptr, x.siginfo);
    t.resume_sig = sig;
    notify(ReplayStop::kSignal, t.rec, sig);
    return;
  }
  if (!fault) adopt_call_sigmask(t, sig);
  if (!fault) agent_leave_stub(t);
  if (forced_by_kernel(sig, x)) force_signal(t, e, sig);
  if (!fault) send_signal(t, sig);
  resume(t);
  wait_signal_stop(t, e, sig, "the trace expects " + render_signal(sig) +
                                  ", the program made a syscall instead");
  if (!fault) request(t, PTRACE_SETSIGINFO, nullptr, x.siginfo);
  t.resume_sig = sig;
  t.state = State::kHeld;
  notify(ReplayStop::kSignal, t.rec, sig);
}

// The thread stopped at a fault of its own for its tracer (the program's
// emulated ptrace): run it to that fault and hold it there, in its
// signal-delivery stop, nothing delivered. Its tracer's requests then act
// on it there, as they did (POKE, SETREGS at a breakpoint); its tracer
// decides later whether the signal is delivered (the next signal event
// here) or not (resumed without it, it runs the instruction again).
void Replayer::hold_at_fault(Task& t, const Event& e, int sig, const SignalExtra& x) {
  if (!sync_fault(sig, x) || x.at_syscall)
    diverge(e, "damaged signal record: a held signal that is not a fault in user code");
  if (t.state == State::kInSyscall) finish_in_syscall(t);
  if (t.state != State::kHeld) diverge(e, "thread is not where it stopped for its tracer");
  // A single step's trap (its tracer's PTRACE_SINGLESTEP): one instruction.
  const bool step = sig == SIGTRAP && signal_code(x) == TRAP_TRACE;
  const Regs target = recorded_regs(x);
  Regs now = get_regs(t);
  // Unless switched out between the stepped instruction and its trap (a
  // preemption event brought it here): it is at the trap's point already.
  if (!step || !target.same_user_state(now)) {
    const bool stepping = std::exchange(t.step, t.step || step);
    resume(t);
    t.step = stepping;
    wait_signal_stop(t, e, sig, "the trace expects " + render_signal(sig) +
                                    ", the program made a syscall instead");
    t.state = State::kHeld;
    now = get_regs(t);
    if (!target.same_user_state(now))
      diverge(e, "the thread stopped with " + render_signal(sig) +
                     " elsewhere than recorded (its registers differ)");
  }
  t.regs = now;
  t.held_fault = sig;
}

// A signal its tracer gives a thread held at a fault (hold_at_fault), at
// that very point: delivered there (the same signal, or another the tracer
// chose), not by running to it again (an int3 does not trap twice).
bool Replayer::deliver_at_held_fault(Task& t, int sig, SignalExtra& x) {
  if (!t.held_fault || t.state != State::kHeld || x.at_syscall) return false;
  if (!recorded_regs(x).same_user_state(t.regs)) return false;
  request(t, PTRACE_SETSIGINFO, nullptr, x.siginfo);
  t.resume_sig = sig;
  notify(ReplayStop::kSignal, t.rec, sig);
  return true;
}

// As force_sig does: a signal the thread blocks or ignores is unblocked
// and its action reset to SIG_DFL (which then kills it), program state the
// recording had too. Else it is taken as any other.
void Replayer::force_signal(Task& t, const Event& e, int sig) {
  const SignalState s = signal_state(t, e, sig);
  if (!s.blocked && !s.ignored) return;
  set_signal_handler(t, e, sig, reinterpret_cast<uint64_t>(SIG_DFL));
  if (s.blocked) unblock_signal(t, e, s, sig);
}

// Whether the thread's own next event is a signal recorded at its syscall's
// return with the registers it holds now, the restart code still in them:
// taken in the same pass through the kernel's signal code as the one before
// it (sig_pending_pair, job_control_pending). One recorded after the kernel
// rewound the call (a kernel backend's at_syscall: the number is kept) has
// the rewound registers, and the restart is made first as before.
bool Replayer::next_own_signal_at_syscall(const Task& t) {
  for (size_t i = 0; i < kMaxSignalPeek; i++) {
    const Event* next = peek_event(i);
    if (!next) return false;
    if (next->tid != t.rec) continue;
    std::optional<SignalExtra> x;
    if (next->kind == EventKind::kSignal) x = signal_extra(*next);
    const Regs now = agent_site_regs(t.real_tgid, t.regs);  // a stub's return: the site's
    return x && x->at_syscall && recorded_regs(*x).as_at_syscall_stop(now).same_user_state(now);
  }
  return false;
}

// A call the signal interrupted (its recorded result, now in the thread's
// registers, is one of the kernel's restart codes) is restarted when no
// handler runs, as the kernel's signal code does: back over the syscall
// instruction with the call's number again (restart_syscall for a call
// with a restart block). The restarted call is the thread's next event.
// `eintr_too`: an EINTR result is restarted too (kAtSyscallRestarted).
void Replayer::restart_interrupted_call(Task& t, bool eintr_too) {
  // A signal already set up for delivery decides the restart in the kernel.
  if (t.state != State::kHeld || t.resume_sig != 0) return;
  int64_t r = t.regs.ret();
  if (!rp_restart_code(r) && !(eintr_too && r == -EINTR)) return;
  // Only while it is still where that call left it: a point search may have
  // delivered a signal of its own since (a switch recorded at the handler's
  // first instruction: the search resumes it with the signal), and its
  // handler is then what runs next (conformance handler_preempted: a read
  // interrupted by a signal whose handler was switched out; sigsuspend under
  // load).
  if (!get_regs(t).same_user_state(t.regs)) return;
  const bool block = r == -RP_ERESTART_RESTARTBLOCK;
  t.regs.set_ip(t.regs.ip() - kSyscallInsnLen);
#if defined(__x86_64__)
  t.regs.raw.rax = block ? SYS_restart_syscall : t.regs.raw.orig_rax;
#else
  t.regs.raw.regs[0] = t.args[0];  // x0 held the result; the kernel keeps orig_x0
  if (block) t.regs.raw.regs[8] = SYS_restart_syscall;
#endif
  set_regs(t, t.regs);
}

// sigsuspend, ppoll, pselect6 and epoll_pwait run with a temporary signal
// mask; the recorded signal arrived under it. Emulated, they leave the
// thread's own mask, which may block the signal: deliver it under the call's
// mask, and give the thread its own mask back after the handler's sigreturn
// (the recording's frame saved that one, the replay's frame saves the
// temporary one).
void Replayer::adopt_call_sigmask(Task& t, int sig) {
  uint64_t mask_ptr = 0;
  switch (t.nr) {
    case SYS_rt_sigsuspend: mask_ptr = t.args[0]; break;
    case SYS_ppoll: mask_ptr = t.args[3]; break;
    case SYS_epoll_pwait: case SYS_epoll_pwait2: mask_ptr = t.args[4]; break;
    case SYS_pselect6: {  // its 6th argument points to {const sigset_t *ss; size_t len}
      std::string pair = t.args[5] ? read_mem(t.real, t.args[5], 8) : "";
      if (pair.size() == 8) std::memcpy(&mask_ptr, pair.data(), 8);
      break;
    }
    default: return;
  }
  std::string bytes = mask_ptr ? read_mem(t.real, mask_ptr, 8) : "";
  uint64_t own = 0, during = 0;
  if (bytes.size() != 8 || ptrace(PTRACE_GETSIGMASK, t.real, sizeof own, &own) != 0) return;
  std::memcpy(&during, bytes.data(), 8);
  uint64_t bit = uint64_t{1} << (sig - 1);
  if (!(own & bit) || (during & bit)) return;  // not blocked now, or not admitted then
  if (ptrace(PTRACE_SETSIGMASK, t.real, sizeof during, &during) == 0)
    t.mask_after_sigreturn = own;
}

// Waits until a resumed thread stops for `sig`, suppressing real-world
// signals the recording did not have; a syscall first is a divergence.
void Replayer::wait_signal_stop(Task& t, const Event& e, int sig,
                                const std::string& syscall_instead) {
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone) diverge(e, "the program " + render_wait_status(status));
    if (is_syscall_stop(status)) {
      clear_exec_breakpoint(t.real);  // run_to_point's, if set; diverging anyway
      diverge(e, syscall_instead + call_made_instead(t));
    }
    // A branch into an agent-patched syscall site (a fork's parent going
    // past the child's set_robust_list to its return): on in the copy.
    if (agent_interior_trap(t, status) || debug_trap(t, status)) {
      cont(t, 0);
      continue;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == sig && !stop_event(status)) {
      if (!group_stop_report(t.real, sig)) return;
      cont(t, 0);  // a stop signal delivered before: its group-stop, reported late
      continue;
    }
    check_stray_insn_trap(t, e, status, "a " + render_signal(sig));
    cont(t, 0);  // a real-world signal: suppressed
  }
}

std::string Replayer::call_made_instead(Task& t) {
  const Regs r = get_regs(t);
  const SyscallSpec* spec = syscall_spec(r.syscall_nr());
  char ip[32];
  snprintf(ip, sizeof ip, "%#llx", static_cast<unsigned long long>(r.ip()));
  return std::string(": it made ") +
         (spec ? spec->name : "syscall " + std::to_string(r.syscall_nr())) + " at ip=" + ip;
}

void Replayer::check_stray_insn_trap(Task& t, const Event& e, int status,
                                     const std::string& expected) {
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != trapped_insn_signal() || stop_event(status))
    return;
  siginfo_t si{};
  if (ptrace(PTRACE_GETSIGINFO, t.real, nullptr, &si) != 0 ||
      !is_trapped_insn_siginfo(WSTOPSIG(status), si.si_code))
    return;
  Regs r = get_regs(t);
  int len = 0;
  auto kind = decode_trapped(t.mem.read(r.ip(), 16), r.ip(), &len);
  if (kind == TrappedInsn::kNone) return;
  // Resumed, it would trap again at once: a trapped instruction is only
  // ever consumed by replay_insn.
  diverge(e, std::string("the program executed ") + trapped_insn_name(kind) + " at " +
                 r.describe() + ", the trace expects " + expected);
}

void Replayer::replay_insn(Task& t, const Event& e) {
  if (t.state != State::kHeld) diverge(e, "thread is not where the instruction ran");
  resume(t);
  wait_signal_stop(t, e, trapped_insn_signal(),
                   "the trace expects a trapped instruction, the program made a syscall");
  Regs r = get_regs(t);
  int len = 0;
  const std::string code = t.mem.read(r.ip(), 16);
  auto kind = decode_trapped(code, r.ip(), &len);
  if (static_cast<int64_t>(kind) != e.nr)
    diverge(e, std::string("the program faulted at ") + r.describe() + ", the trace expects " +
                   trapped_insn_name(static_cast<TrappedInsn>(e.nr)));
#if defined(__x86_64__)
  if (kind == TrappedInsn::kCpuid && (static_cast<uint32_t>(r.raw.rax) != e.args[4] ||
                                      static_cast<uint32_t>(r.raw.rcx) != e.args[5]))
    diverge(e, "the program asked cpuid for leaf " + hex(static_cast<uint32_t>(r.raw.rax)) +
                   " subleaf " + hex(static_cast<uint32_t>(r.raw.rcx)) + ", the trace for leaf " +
                   hex(e.args[4]) + " subleaf " + hex(e.args[5]));
  r.raw.rax = e.args[0];
  r.raw.rdx = e.args[1];
  if (kind == TrappedInsn::kRdtscp || kind == TrappedInsn::kCpuid) r.raw.rcx = e.args[2];
  if (kind == TrappedInsn::kCpuid) r.raw.rbx = e.args[3];
#else
  uint32_t word;
  std::memcpy(&word, code.data(), sizeof word);  // decode_trapped found 4 bytes
  auto rt = static_cast<uint64_t>(decode_counter_trap(word)->rt);
  if (r.ip() != e.args[1] || rt != e.args[2])
    diverge(e, "the program read the counter into x" + std::to_string(rt) + " at " + hex(r.ip()) +
                   ", the trace expects x" + std::to_string(e.args[2]) + " at " + hex(e.args[1]));
  if (rt != 31) r.raw.regs[rt] = e.args[0];
#endif
  r.set_ip(r.ip() + static_cast<uint64_t>(len));
  set_regs(t, r);
  t.resume_sig = 0;  // the trap's signal is not delivered
  t.state = State::kHeld;
}

// Runs a thread until its registers equal `target` (a point in user code
// where the recording delivered a signal or preempted it) and leaves it
// there in a SIGTRAP stop. Without a branch counter, the point is known by
// its instruction and registers only: a loop passes the instruction with
// other values until the recorded iteration. The first passes are watched
// with a hardware breakpoint (a ptrace stop each: cheap for a point reached
// soon); then a conditional trap patched at the instruction compares the
// registers inside the program, at native speed, and stops it once
// (point_search.cc). Where it cannot be patched, the breakpoint goes on up
// to a limit, and replay stops with a divergence past it.
// A thread already there (a signal that was pending when a handler
// returned; a switch right where its last syscall returned) is stopped in
// place only for a signal: PTRACE_SETSIGINFO and the signal given on resume
// act in a signal-delivery stop. A switch delivers nothing: it stays held
// where it is.
// SIGTRAP is unblocked for the time of it (point_search.cc, open_sigtrap).
bool Replayer::run_to_point(Task& t, const Event& e, const Regs& target, AtPoint then) {
  if (t.state != State::kHeld) diverge(e, "thread is not between events");
  // Held where its call returned a restart code, no signal of its own since:
  // the kernel rewinds it onto the call before it runs user code again, so a
  // point recorded before the restart's entry is there (bpf.ring: a thread
  // rp's snapshot had rewound was switched out at its syscall instruction).
  // The ptrace backend records its own stop there, before the rewind, at the
  // registers the thread holds now: that point is reached by staying.
  // Only while it is still where that call left it (restart_interrupted_call
  // checks), not after a handler or a search has moved it on.
  if (!get_regs(t).same_user_state(target)) restart_interrupted_call(t);
  const SignalState s = open_sigtrap(t, e);
  const bool stayed = search_point(t, e, target, then);
  close_sigtrap(t, e, s);
  return stayed;
}

bool Replayer::search_point(Task& t, const Event& e, const Regs& target, AtPoint then) {
  Regs now = get_regs(t);
  std::optional<int64_t> ran_ns;
  if (auto at = e.ended_ns(); at && t.last_event_ns)
    ran_ns = *at - *t.last_event_ns;
  const PointSearchLimits lim = point_search_limits(ran_ns);
  // Only switches are checked for a later pass with the same registers
  // (point_unique.cc): after a signal the recorded path is the handler's.
  const bool check = then == AtPoint::kSwitch && !lim.breakpoint_only;
  // Held at a signal stop, its signal still to deliver, at the registers of a
  // switch: the recording's thread was preempted once resumed, before the
  // signal's delivery (any later point is past its handler's rt_sigreturn,
  // an event). It stays, the signal kept for its next run (bpf
  // ptrace_signal_inject: a tracee continued with its signal by its tracer).
  const bool before_delivery = then == AtPoint::kSwitch && t.resume_sig != 0;
  // The point holds its recorded memory digest too: a thread at its
  // registers with other memory is at an earlier pass of a loop.
  const bool here = now.same_user_state(target) &&
                    (before_delivery ||
                     memory_matches(t, t.real, e, now, {agent_base(t.real_tgid)}));
  if (here && (t.resume_sig == 0 || before_delivery)) {
    if (before_delivery) return true;
    if (then == AtPoint::kDeliverSignal) stop_in_place(t, e);
    // Held where its syscall returned: another pass with these registers
    // would almost always need that syscall again, the thread's next event;
    // not checked (the trampoline's injections do not start from there).
    if (check && !at_syscall_stop(t.real) &&
        !decode_rep_string(read_mem(t.real, target.ip(), 16), target.ip())) {
      uint64_t passes = 0;
      std::string why;
      search_patched(t, e, target, std::nullopt, lim.max_passes, &passes, &why, true, true);
    }
    return false;
  }
  if (then == AtPoint::kSwitch && target.entering_syscall()) {
    reach_entry_point(t, e, target);
    return false;
  }
#if defined(__x86_64__)
  // A resume flag left set (by the last breakpoint, or restored by
  // sigreturn from a frame saved at one) would skip the breakpoint once.
  if (now.raw.eflags & 0x10000) {
    now.raw.eflags &= ~0x10000ULL;
    set_regs(t, now);
  }
#endif
  // A point part-way through a rep string instruction: searched at its start.
  const auto rep = decode_rep_string(read_mem(t.real, target.ip(), 16), target.ip());
  const uint64_t breakpoint_limit = std::min(lim.max_passes, kMaxBreakpointHits);
  uint64_t passes = 0;
  if (!lim.breakpoint_only) {
    std::string why;
    if (search_by_breakpoint(t, e, target, rep, std::min(kBreakpointFirst, breakpoint_limit),
                             &passes) == Search::kFound) {
      if (check) search_patched(t, e, target, rep, lim.max_passes, &passes, &why, true, true);
      return false;
    }
    if (passes < lim.max_passes &&
        search_patched(t, e, target, rep, lim.max_passes, &passes, &why, check, false) ==
            Search::kFound)
      return false;
    if (!warned_slow_search_ && passes < breakpoint_limit) {
      std::cerr << "rp: warning: event " << e.seq << ": searching an asynchronous point with a "
                << "ptrace stop per pass (" << why << "); slow in tight loops\n";
      warned_slow_search_ = true;
    }
  }
  if (passes < breakpoint_limit &&
      search_by_breakpoint(t, e, target, rep, breakpoint_limit - passes, &passes) ==
          Search::kFound)
    return false;
  diverge(e, "cannot locate the recorded point (" + target.describe() + ") after " +
                 std::to_string(passes) + " passes (see docs/design.md)");
}

// Lets thread o of a group whose leader's end is being observed go its way
// out: traced threads stay zombies until reaped, and hold the leader's report.
void Replayer::let_die(Task& o) {
  // Its own end, recorded after the leader's (threads of a group exit end
  // in any order), would find its memory gone: the kernel marks its robust
  // futexes as it dies, so replay does it now (futex_robust_killed).
  mark_robust_dead(o);
  // A signal it was given goes with it: without it the thread would fault
  // again, forever.
  if (o.state != State::kRunning) resume_request(o, PTRACE_CONT, o.resume_sig);
  o.resume_sig = 0;
  o.state = State::kRunning;
  while (o.state != State::kGone) {
    int status = wait(o);
    if (o.state == State::kGone) break;
    bool signal_stop = WIFSTOPPED(status) && !is_syscall_stop(status) &&
                       stop_event(status) == 0 && WSTOPSIG(status) != SIGTRAP;
    resume_request(o, PTRACE_CONT, signal_stop ? WSTOPSIG(status) : 0);
  }
}

// Whether the group's leader (recorded tid `leader`) next makes a
// successful execve (its own, or another thread's under its tid), which ends
// the other threads (de_thread). The leader's own call that execve cut
// short may come first.
bool Replayer::leader_execs_next(pid_t leader) {
  for (size_t i = 0; i < kMaxSignalPeek; i++) {
    const Event* next = peek_event(i);
    if (!next) return false;
    if (next->tid != leader) continue;
    if (next->kind != EventKind::kSyscall) return false;
    if (next->extra == kNoReturn) continue;
    return (next->nr == SYS_execve || next->nr == SYS_execveat) && next->ret == 0;
  }
  return false;
}

// t is gone: if it was the last thread of a group whose leader ended its
// own thread before, the leader's end (the group's status) is due now.
void Replayer::reap_ended_leader(const Task& t) {
  if (t.real == t.real_tgid) return;
  for (auto& [rec, o] : tasks_)
    if (o.real == t.real_tgid && o.leader_thread_ended && o.state != State::kGone &&
        !group_lives_on(o))
      let_die(o);  // let go already (observe_exit): its report is due
}

// Whether a thread of t's group other than t is not gone yet.
bool Replayer::group_lives_on(const Task& t) const {
  for (const auto& [rec, o] : tasks_)
    if (&o != &t && o.real_tgid == t.real_tgid && o.state != State::kGone &&
        !o.leader_thread_ended)
      return true;
  return false;
}

void Replayer::observe_exit(Task& t, const Event& e) {
  int want = static_cast<int>(e.ret);
  mark_robust_dead(t);  // however it ends: killed, or by another thread's exit_group or execve
  // A leader that ended its own thread (exit) while others of its group run
  // on: the kernel reports it only after the last of them, a zombie until
  // then. The kernel backends record its end when it happened (ptrace when
  // waitpid said so); the others must not be let go, as at a group exit.
  if (t.real == t.real_tgid && t.state == State::kExiting && t.nr == SYS_exit &&
      !WIFSIGNALED(want) && group_lives_on(t)) {
    resume_request(t, PTRACE_CONT, 0);
    t.state = State::kRunning;
    t.leader_thread_ended = true;
    return;
  }
  // A thread ended by no signal of its own (in a call it never returned
  // from, or in user code) while another thread's execve is next for the
  // group: that execve ended it, and the trace has the end first (the
  // execve completes after the others are gone). It dies when replay
  // executes the execve; resumed now, it would run on (exec_from_thread.cc).
  if ((t.state == State::kAtSyscall || t.state == State::kHeld) && !WIFSIGNALED(want) &&
      t.real != t.real_tgid) {
    for (auto& [rec, o] : tasks_)
      if (o.real == t.real_tgid && o.state != State::kGone && leader_execs_next(rec)) {
        t.state = State::kExiting;
        return;
      }
  }
  if (WIFSIGNALED(want) && (t.state == State::kAtSyscall || WTERMSIG(want) == SIGKILL)) {
    // Killed in a syscall that never returned (e.g. kill(getpid(), SIGKILL)):
    // the same signal, for real, ends the same way. SIGKILL in user code
    // stops at no tracer, so the trace has no point for it: the thread is
    // where its last event left it, which is where it died. It ran no
    // further: a thread sharing memory with another ran only in turns the
    // trace holds (one slot, or one CPU with recorded switches), and one
    // that shares none left nothing another could see. Resumed instead, a
    // thread spinning in user code would never stop (a hang).
    send_signal(t, WTERMSIG(want));
  }
  if (t.state == State::kHeld || t.state == State::kExiting || t.state == State::kAtSyscall) {
    // PTRACE_SYSEMU: whatever it does on its way out must not reach the
    // outside world.
    resume_request(t, t.state == State::kExiting ? PTRACE_CONT : PTRACE_SYSEMU, t.resume_sig);
    t.resume_sig = 0;
    t.state = State::kRunning;
  }
  // A thread group leader is reported only after its other threads: those a
  // group exit is killing must be let go first (their own ends, recorded
  // later, then just find them gone).
  if (t.real == t.real_tgid) {
    // Those given a signal (a fault about to kill the group) go first: a
    // thread held in user code and let go before the group dies runs on to
    // its next syscall, which the replay filter kills with SIGSYS
    // (bpf.attach_threads: a worker switched out after its poll, let go
    // before the other worker's SIGSEGV).
    for (bool with_signal : {true, false})
      for (auto& [rec, o] : tasks_)
        if (&o != &t && o.real_tgid == t.real_tgid && o.state != State::kGone &&
            (o.resume_sig != 0) == with_signal)
          let_die(o);
  }
  bool sent = false;
  while (t.state != State::kGone) {
    int status = wait(t);
    if (t.state == State::kGone) break;
    if (is_syscall_stop(status) && WIFSIGNALED(want) && !sent) {
      // Killed entering a call no backend saw (a seccomp filter's kill runs
      // before the syscall tracepoint and the ptrace stop): it dies there.
      send_signal(t, WTERMSIG(want));
      sent = true;
      resume_request(t, PTRACE_SYSEMU, 0);
      continue;
    }
    if (is_syscall_stop(status))
      diverge(e, "the trace says the thread ended, the program made a syscall");
    // The fatal signal sent above stops here before it is delivered: let it
    // through, suppress real-world others.
    int sig = WIFSTOPPED(status) && !stop_event(status) ? WSTOPSIG(status) : 0;
    bool fatal = WIFSIGNALED(want) && sig == WTERMSIG(want);
    resume_request(t, PTRACE_CONT, fatal ? sig : 0);
  }
  reap_ended_leader(t);
  int got = *t.exit_status;
  bool same = WIFEXITED(want) ? WIFEXITED(got) && WEXITSTATUS(got) == WEXITSTATUS(want)
                              : WIFSIGNALED(got) && WTERMSIG(got) == WTERMSIG(want);
  // No program can wait for a thread that is not a leader: its status is
  // seen by rp only, and takes the group's exit code when a group exit came
  // while the thread was still in its exit path (threads run in parallel
  // under the kernel backends).
  bool leader = t.real == t.real_tgid;
  if (!same && leader)
    diverge(e, "the program " + render_wait_status(got) + ", the recording " +
                   render_wait_status(want));
}

}  // namespace rp
