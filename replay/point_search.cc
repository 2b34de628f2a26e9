// The two ways replay finds an asynchronous point (a thread at the recorded
// instruction with the recorded registers; see run_to_point in signals.cc):
// an execution breakpoint that stops the thread on every pass (common/debugreg.h:
// hardware, or a trap written over the instruction where the hardware's does
// not fire), and
// a conditional trap patched into the program (point_patch.h) that stops it
// only where the registers match.
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <iostream>

#include "debugreg.h"
#include "point_patch.h"
#include "proc_maps.h"
#include "render.h"
#include "replayer.h"
#include "tracee.h"
#include "tracee_mem.h"
#include "tracer_tsc.h"

namespace rp {
namespace {

// Free ranges of the thread's address space, from /proc/<tid>/maps.
std::vector<std::pair<uint64_t, uint64_t>> address_gaps(pid_t tid) {
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  constexpr uint64_t kUserTop = 0x7ffffffff000;  // 47-bit user space
  uint64_t prev = 0;
  for (const ProcMap& m : read_proc_maps(tid)) {
    if (m.start >= kUserTop) continue;
    if (m.start > prev) gaps.push_back({prev, m.start});
    prev = std::max(prev, m.end);
  }
  if (prev < kUserTop) gaps.push_back({prev, kUserTop});
  return gaps;
}

// Testing knob (docs/design.md): RP_POINT_SEARCH=registers leaves the memory
// check out of the trampoline; replay then compares the memory at each stop
// with the recorded registers, as on arm64.
bool trampoline_checks_memory() {
  const char* s = getenv("RP_POINT_SEARCH");
  return !s || std::string(s) != "registers";
}

}  // namespace

// What a wait saw, for a divergence report.
static std::string stop_description(int status) {
  if (!WIFSTOPPED(status)) return render_wait_status(status);
  if (is_syscall_stop(status)) return "a syscall stop";
  std::string s = "stopped by " + render_signal(WSTOPSIG(status));
  if (stop_event(status)) s += ", ptrace event " + std::to_string(stop_event(status));
  return s;
}

// Stops a thread that is already at the point in a SIGTRAP signal-delivery
// stop, as the searches leave it (SIGTRAP unblocked: see open_sigtrap).
void Replayer::stop_in_place(Task& t, const Event& e) {
  send_signal(t, SIGTRAP);
  resume_request(t, PTRACE_SYSEMU, 0);
  int status = wait(t);
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
    diverge(e, "cannot stop the thread where it is (" + stop_description(status) + ")");
  t.state = State::kHeld;
}

// The kernel raises the traps of a search (hardware breakpoint, single-step,
// the patched int3/brk) with force_sig: where the thread blocks SIGTRAP or
// ignores it, it unblocks it in the thread's mask and resets its handler to
// SIG_DFL, program state the recording never had. And a stop in place would
// not stop a thread that blocks it (a new thread runs with every signal
// blocked until glibc's start_thread unblocks them). So a search runs with
// SIGTRAP unblocked, and close_sigtrap gives the thread its mask back and
// ignores SIGTRAP again if a trap reset it. One read of /proc/TID/status per
// point, none per pass. One of the program's own SIGTRAPs pending behind the
// mask would be taken with rp's: a divergence instead.
Replayer::SignalState Replayer::open_sigtrap(Task& t, const Event& e) {
  constexpr uint64_t trap = uint64_t{1} << (SIGTRAP - 1);
  std::string status;
  const SignalState s = signal_state(t, e, SIGTRAP, &status);
  if (!s.blocked) return s;
  if ((status_field(status, "SigPnd", 16).value_or(0) |
       status_field(status, "ShdPnd", 16).value_or(0)) & trap)
    diverge(e, "cannot search the recorded point: the program has a blocked SIGTRAP pending");
  unblock_signal(t, e, s, SIGTRAP);
  return s;
}

Replayer::SignalState Replayer::signal_state(Task& t, const Event& e, int sig,
                                             std::string* status) {
  const uint64_t bit = uint64_t{1} << (sig - 1);
  std::string text = proc_status(t.real);
  auto blk = status_field(text, "SigBlk", 16), ign = status_field(text, "SigIgn", 16);
  if (!blk || !ign) diverge(e, "cannot read the thread's signal state");
  if (status) *status = std::move(text);
  return SignalState{*blk, (*blk & bit) != 0, (*ign & bit) != 0};
}

// The thread's mask (s.mask, read just before) without sig.
void Replayer::unblock_signal(Task& t, const Event& e, const SignalState& s, int sig) {
  const uint64_t open = s.mask & ~(uint64_t{1} << (sig - 1));
  if (ptrace(PTRACE_SETSIGMASK, t.real, sizeof open, &open) != 0)
    diverge(e, "cannot unblock " + render_signal(sig) + " in the thread");
}

void Replayer::close_sigtrap(Task& t, const Event& e, const SignalState& s) {
  constexpr uint64_t trap = uint64_t{1} << (SIGTRAP - 1);
  if (s.ignored && !(proc_status_field(t.real, "SigIgn", 16).value_or(0) & trap)) {
    set_signal_handler(t, e, SIGTRAP, reinterpret_cast<uint64_t>(SIG_IGN));  // a trap reset it
    stop_in_place(t, e);  // the injections left it in a syscall stop
  }
  if (s.blocked && ptrace(PTRACE_SETSIGMASK, t.real, sizeof s.mask, &s.mask) != 0)
    diverge(e, "cannot give the thread its signal mask back");
}

// The program's rt_sigaction, run by rp: sig's handler becomes `handler`,
// its flags and mask as they were. The kernel's struct sigaction goes
// through a scratch below the stack's red zone, its bytes given back after.
// The injections leave the thread in a syscall exit stop.
void Replayer::set_signal_handler(Task& t, const Event& e, int sig, uint64_t handler) {
  constexpr uint64_t kActBytes = 32;  // handler, flags, restorer, mask
  const uint64_t scratch = (get_regs(t).sp() - 256 - kActBytes) & ~uint64_t{15};
  const std::string why = "cannot set the program's " + render_signal(sig) + " disposition";
  const std::string saved = read_mem(t.real, scratch, kActBytes);
  if (saved.size() != kActBytes) diverge(e, why);
  if (inject_syscall(t, e, SYS_rt_sigaction, {static_cast<uint64_t>(sig), 0, scratch, 8}) != 0)
    diverge(e, why);
  std::string act = read_mem(t.real, scratch, kActBytes);
  if (act.size() != kActBytes) diverge(e, why);
  act.replace(0, 8, reinterpret_cast<const char*>(&handler), 8);
  if (!write_mem(t.real, scratch, act) ||
      inject_syscall(t, e, SYS_rt_sigaction, {static_cast<uint64_t>(sig), scratch, 0, 8}) != 0 ||
      !write_mem(t.real, scratch, saved))
    diverge(e, why);
}

// Runs the thread over the recorded instruction at most max_passes times
// with a breakpoint on it (one ptrace stop per pass, two for a software one). Found: the
// thread is at the point; not found: at the instruction, another pass; the
// breakpoint is cleared either way.
Replayer::Search Replayer::search_by_breakpoint(Task& t, const Event& e, const Regs& target,
                                                const std::optional<RepString>& rep,
                                                uint64_t max_passes, uint64_t* passes) {
  if (!set_exec_breakpoint(t.real, target.ip()))
    diverge(e, "cannot set a breakpoint at " + target.describe());
  const std::string too_early =
      "the program made a syscall before reaching the recorded point (" + target.describe() + ")";
  Search found = Search::kNotFound;
  for (uint64_t n = 0; n < max_passes; n++) {
    cont(t, t.resume_sig);
    t.resume_sig = 0;
    t.state = State::kRunning;
    wait_signal_stop(t, e, SIGTRAP, too_early);
    t.state = State::kHeld;
    if (!rewind_to_exec_breakpoint(t.real)) diverge(e, "cannot read the thread's registers");
    Regs now = get_regs(t);
    if (now.ip() != target.ip()) {
      clear_exec_breakpoint(t.real);  // diverging anyway
      diverge(e, "unexpected SIGTRAP at " + now.describe());
    }
    ++*passes;
    if (arrived(t, e, target, rep, now, target.ip())) {
      found = Search::kFound;
      break;
    }
    if (rep && !set_exec_breakpoint(t.real, target.ip()))  // arrived() used the slot
      diverge(e, "cannot set a breakpoint at " + target.describe());
    if (exec_breakpoint_refires() && n + 1 < max_passes) {
      // arm64, or a software breakpoint: step over it with the breakpoint off
      if (!clear_exec_breakpoint(t.real)) diverge(e, "cannot clear the breakpoint");
      resume_request(t, PTRACE_SYSEMU_SINGLESTEP, 0);
      t.state = State::kRunning;
      wait_signal_stop(t, e, SIGTRAP, too_early);
      t.state = State::kHeld;
      if (!set_exec_breakpoint(t.real, target.ip()))
        diverge(e, "cannot set a breakpoint at " + target.describe());
    }
  }
  if (!clear_exec_breakpoint(t.real)) diverge(e, "cannot clear the breakpoint");
  return found;
}

// A switch the kernel backends recorded between a thread's syscall
// instruction and the call's sys_enter tracepoint (an interrupt preempted it
// on its way in): it ran user code up to that call, so the point is its next
// syscall-entry stop, where ptrace shows the registers the recorder saw. No
// pass can repeat before it. The thread waits there for its call's turn.
void Replayer::reach_entry_point(Task& t, const Event& e, const Regs& target) {
  for (int sig = t.resume_sig;; sig = 0) {
    cont(t, sig);
    t.resume_sig = 0;
    t.state = State::kRunning;
    int status = wait(t);
    if (t.state == State::kGone) diverge(e, "the program " + render_wait_status(status));
    t.state = State::kHeld;
    if (is_syscall_stop(status) && at_syscall_entry(t)) {
      t.regs = get_regs(t);
      t.state = State::kAtSyscall;
      t.entry_unseen = true;
      if (!t.regs.same_user_state(target))
        diverge(e, "the program made a syscall before reaching the recorded point (" +
                       target.describe() + ")");
      return;
    }
    if (!agent_interior_trap(t, status) && !debug_trap(t, status))
      check_stray_insn_trap(t, e, status, "a syscall");  // else a real-world signal: suppressed
  }
}

// Runs a syscall in a thread held in a ptrace stop and gives it back its
// registers; leaves it in the call's exit stop. At a syscall stop the
// instruction before the thread's ip is the one it ran, which runs rp's call
// too: code in a read-only shared mapping cannot be written. Elsewhere a
// syscall instruction is written over the current one for the time of the call.
int64_t Replayer::inject_syscall(Task& t, const Event& e, long nr,
                                 std::initializer_list<uint64_t> args) {
  Regs saved = get_regs(t);
  const std::string& insn = kSyscallInsn;
  uint64_t at = saved.ip() - insn.size();
  std::string original = read_mem(t.real, at, insn.size());
  if (original != insn || at / 4096 != saved.ip() / 4096) {  // the page before may not run
    at = saved.ip();
    original = read_mem(t.real, at, insn.size());
    if (original.size() != insn.size() || !write_mem(t.real, at, insn))
      diverge(e, "cannot write a syscall instruction into the program");
  }
  Regs r = saved;
  r.set_ip(at);
#if defined(__x86_64__)
  r.raw.rax = r.raw.orig_rax = static_cast<uint64_t>(nr);
#else
  r.raw.regs[8] = static_cast<uint64_t>(nr);
#endif
  int i = 0;
  for (uint64_t a : args) r.set_arg(i++, a);
  set_regs(t, r);
  int64_t keep_nr = t.nr;  // at_syscall_entry() overwrites them
  uint64_t keep_args[6];
  std::copy(t.args, t.args + 6, keep_args);
  for (bool entry : {true, false}) {
    resume_request(t, PTRACE_SYSCALL, 0);
    int status = wait_syscall_stop(t, entry);
    while (!entry && t.state != State::kGone && WIFSTOPPED(status) &&
           stop_event(status) == PTRACE_EVENT_CLONE) {  // rp's own clone (point_unique.cc)
      resume_request(t, PTRACE_SYSCALL, 0);
      status = wait_syscall_stop(t, false);
    }
    if (t.state == State::kGone || !is_syscall_stop(status))
      diverge(e, "the program did not run rp's own syscall (" + std::to_string(nr) + ")");
  }
  int64_t ret = get_regs(t).ret();
  t.nr = keep_nr;
  std::copy(keep_args, keep_args + 6, t.args);
  if (at == saved.ip() && !write_mem(t.real, at, original))
    diverge(e, "cannot restore the program's code");
  // No syscall to restart on the way out.
#if defined(__x86_64__)
  saved.raw.orig_rax = ~0ULL;
#else
  Regs nr_reg = saved;
  if (!Regs::set_syscall_nr(t.real, nr_reg, -1)) diverge(e, "cannot clear rp's own syscall");
#endif
  set_regs(t, saved);
  t.mem.address_space_changed();
  return ret;
}

// A thread that branched into the patched bytes stops at the filler of an
// instruction start there (`after`: 1 past it for int3, 0 for an invalid
// opcode): moved to that instruction's relocated copy. False: not there.
bool Replayer::to_interior_copy(Task& t, const Trampoline& tramp, uint64_t after) {
  Regs now = get_regs(t);
  for (auto [orig, copy] : tramp.interior) {
    if (now.ip() - after != orig) continue;
    now.set_ip(copy);
    set_regs(t, now);
    return true;
  }
  return false;
}

// Whether a thread stopped at the recorded instruction with registers `now`
// (rip aside: the instruction, or its relocated copy, is at insn_at) is at
// the recorded point. For a rep string instruction `now` may be its start:
// then it runs the iterations the recorded registers say are missing, on
// the CPU (rcx set to their number, up to a breakpoint after the
// instruction), and checks every register. True: the thread holds the
// recorded registers, rip the recorded one. False: it holds `now` again;
// a divergence if iterations that wrote memory must be taken back.
bool Replayer::arrived(Task& t, const Event& e, const Regs& target,
                       const std::optional<RepString>& rep, const Regs& now, uint64_t insn_at) {
  Regs there = now;
  there.set_ip(target.ip());
  const std::optional<uint64_t> k = rep ? rep_iterations(*rep, there, target) : 0;
  if (!k) return false;
  if (*k == 0)  // and a switch's memory digest, if it has one
    return there.same_user_state(target) &&
           memory_matches(t, t.real, e, there, {agent_base(t.real_tgid)});
#if defined(__x86_64__)
  Regs run = now;
  run.raw.rcx = *k;
  run.set_ip(insn_at);
  const uint64_t next = insn_at + rep->length;
  set_regs(t, run);
  if (!set_exec_breakpoint(t.real, next))
    diverge(e, "cannot set a breakpoint after the string instruction");
  cont(t, 0);
  t.state = State::kRunning;
  wait_signal_stop(t, e, SIGTRAP, "the program made a syscall in a string instruction");
  t.state = State::kHeld;
  if (!rewind_to_exec_breakpoint(t.real)) diverge(e, "cannot read the thread's registers");
  Regs after = get_regs(t);
  if (!clear_exec_breakpoint(t.real)) diverge(e, "cannot clear the breakpoint");
  if (after.ip() != next) diverge(e, "unexpected SIGTRAP at " + after.describe());
  // repe/repne end early where an element decides: then the recorded point
  // (iterations left to run) is not in this pass.
  const bool ran_all = after.raw.rcx == 0;
  after.raw.rcx = target.raw.rcx;
  after.set_ip(target.ip());
  after.raw.eflags &= ~0x10000ULL;  // RF from the breakpoint
  if (ran_all && after.same_user_state(target)) {
    set_regs(t, after);
    return true;
  }
  if (rep->writes_memory)
    diverge(e, "ran " + std::to_string(*k) + " iterations of the string instruction at " +
                   target.describe() + " and the registers differ from the recorded ones");
  set_regs(t, now);
  return false;
#else
  (void)insn_at;  // used only by the x86_64 rep string check
  return false;  // no rep string instructions elsewhere (decode_rep_string says none)
#endif
}

// Said once a replay, when a search has stopped the thread at `stops` passes
// with the recorded registers (only the memory digest told them apart, one
// ptrace stop each) for kSlowMemorySearchNs: such a search can take minutes,
// during which the replay would look hung.
void Replayer::say_slow_memory_search(const Task& t, const Event& e, int64_t since,
                                      uint64_t stops) {
  constexpr int64_t kSlowMemorySearchNs = 5'000'000'000;
  const int64_t took = tracer_clock_ns(CLOCK_MONOTONIC) - since;
  if (warned_slow_memory_search_ || took < kSlowMemorySearchNs) return;
  warned_slow_memory_search_ = true;
  std::cerr << "rp: warning: event " << e.seq << " (thread " << t.rec
            << "): the recorded point is in a loop whose registers repeat at every pass and "
            << "only its memory tells the passes apart, one ptrace stop each (" << stops
            << " in " << took / 1'000'000'000 << " s so far); this can take minutes "
            << "(docs/performance.md, Asynchronous points)\n";
}

// The memory a pass must hold too, checked in the trampoline: in a loop whose
// registers repeat, a stop at every pass would cost a ptrace stop each. Not
// at a rep string site, whose registers are not the recorded ones where it
// stops. Nor a version 3 trace's 32-bit sums: rp compares those at each stop.
std::vector<DigestWindow> Replayer::trampoline_windows(Task& t, const Event& e,
                                                       const Regs& target,
                                                       const std::optional<RepString>& rep) {
  if (rep || !trampoline_checks_memory()) return {};
  const std::vector<uint64_t> own{agent_base(t.real_tgid)};
  std::vector<DigestWindow> windows = compared_windows(t, t.real, e, target, own);
  if (!windows.empty() && windows.front().narrow) windows.clear();
  if (compare_stacks_ && !windows.empty()) {
    // The stacks' windows first: every pass searched again matched the rest.
    compare_stacks_ = false;
    const std::vector<DigestWindow> rest = compared_windows(t, t.real, e, target, own);
    compare_stacks_ = true;
    std::stable_partition(windows.begin(), windows.end(), [&](const DigestWindow& w) {
      return std::none_of(rest.begin(), rest.end(),
                          [&](const DigestWindow& r) { return r.start == w.start; });
    });
  }
  return windows;
}

// With the thread at the recorded instruction (a breakpoint stop), patches a
// conditional trap there and runs until it fires on the recorded registers
// (at_point: the thread is already at the point, only the check is made).
// check_unique: then makes sure no later pass before the thread's next
// event has the same registers (point_unique.cc), a divergence if one has.
// Unavailable (nothing changed, *why says why) when the site cannot be
// patched; found: the thread is at the point in a SIGTRAP stop, the program
// as it was.
Replayer::Search Replayer::search_patched(Task& t, const Event& e, const Regs& target,
                                          const std::optional<RepString>& rep,
                                          uint64_t max_passes, uint64_t* passes,
                                          std::string* why, bool check_unique,
                                          bool at_point) {
  if (t.step) {
    *why = "a debugger single-steps the thread";
    return Search::kUnavailable;
  }
#if defined(__aarch64__)
  if (target.sp() % 16) {  // the stub's spill below sp would fault (SP alignment check)
    *why = "sp is not 16-byte aligned at the point";
    return Search::kUnavailable;
  }
#endif
  auto site = plan_patch_site(read_mem(t.real, target.ip() - kPatchCodeBefore,
                                       kPatchCodeBefore + kPatchCodeAfter),
                              target.ip(), why);
  if (!site) return Search::kUnavailable;
  if (rep) set_rep_compare(*site, *rep, target);
  auto place = place_trampoline(*site, address_gaps(t.real));
  if (!place) {
    *why = "no free address within reach of the instruction";
    return Search::kUnavailable;
  }
  // The thread is at a pass of the site: what differs there from the point
  // is what the loop changes (at_point: nothing, the usual order).
  const Regs at_first_pass = get_regs(t);
  const uint64_t compare_first = differing_registers(at_first_pass, target);
  auto tramp = build_trampoline(*site, *place, why, trampoline_windows(t, e, target, rep),
                                compare_first);
  if (!tramp) return Search::kUnavailable;
  int64_t got = inject_syscall(
      t, e, SYS_mmap,
      {place->map, kPatchMapBytes, PROT_READ | PROT_WRITE | PROT_EXEC,
       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, ~0ULL, 0});
  if (got != static_cast<int64_t>(place->map)) {
    *why = "cannot map the trampoline (mmap: " + std::to_string(got) + ")";
    return Search::kUnavailable;
  }
  constexpr uint64_t kBudget = uint64_t{1} << 26;  // passes between checks of the limit
  const std::string original = read_mem(t.real, site->ip, site->length);
  const std::string data =
      patch_data(target, std::min(kBudget, max_passes - *passes), rep ? &*rep : nullptr);
  if (original.size() != site->length || !write_mem(t.real, place->entry, tramp->code) ||
      !write_mem(t.real, tramp->data, data) ||
      !write_mem(t.real, site->ip, tramp->site_bytes))
    diverge(e, "cannot write the conditional trap into the program");
  auto unpatch = [&] { write_mem(t.real, site->ip, original); };
  auto passes_so_far = [&] { return read_u64(t.real, tramp->data + kPatchPassesOffset).value_or(0); };
  const std::string too_early =
      "the program made a syscall before reaching the recorded point (" + target.describe() + ")";
  Regs match = at_first_pass;  // at_point: at the site, with the recorded registers
  uint64_t found_at = *passes;
  const int64_t searching_since = tracer_clock_ns(CLOCK_MONOTONIC);
  uint64_t register_matches = 0;  // passes with the registers, not the memory
  // Searched again with the stacks compared too when the registers and the
  // rest of the memory leave the point ambiguous (compare_stacks_, off
  // again however this search ends).
  struct StacksOff {
    bool& on;
    ~StacksOff() { on = false; }
  } stacks_off{compare_stacks_};
  for (;;) {
    while (!at_point) {
      cont(t, 0);
      t.state = State::kRunning;
      int status = wait(t);
      if (t.state == State::kGone) diverge(e, "the program " + render_wait_status(status));
      t.state = State::kHeld;
      if (is_syscall_stop(status)) {
        unpatch();
        diverge(e, too_early + call_made_instead(t));
      }
      if (agent_interior_trap(t, status)) continue;  // see wait_signal_stop
      if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGILL && !stop_event(status) &&
          tramp->filler != 0xcc && to_interior_copy(t, *tramp, 0))
        continue;  // an invalid-opcode filler: the SIGILL is not delivered
      if (WIFSTOPPED(status) && !stop_event(status) &&
          (WSTOPSIG(status) == SIGSEGV || WSTOPSIG(status) == SIGBUS)) {
        // Suppressed, a fault in the trap's own code would repeat forever.
        Regs now = get_regs(t);
        if (now.ip() >= place->map && now.ip() < place->map + kPatchMapBytes) {
          unpatch();
          diverge(e, "the conditional trap faulted (" + stop_description(status) + ") at " +
                         now.describe());
        }
      }
      if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP || stop_event(status)) continue;
      Regs now = get_regs(t);
      uint64_t trap = now.ip() - kPatchTrapAfter;
      if (trap == tramp->hit) {
        // The relocated instruction (a rep string one runs there) is at body.
        if (arrived(t, e, target, rep, now, tramp->body)) {
          match = now;
          found_at = *passes + passes_so_far();
          break;
        }
        now.set_ip(tramp->body);  // equal general registers, another difference: go on
        set_regs(t, now);
        if (++register_matches % 64 == 0) say_slow_memory_search(t, e, searching_since, register_matches);
      } else if (trap == tramp->forced) {
        uint64_t n = passes_so_far();
        if (*passes + n >= max_passes) {
          unpatch();
          diverge(e, "cannot locate the recorded point (" + target.describe() + ") after " +
                         std::to_string(*passes + n) + " passes");
        }
        uint64_t budget = std::min(kBudget, max_passes - *passes - n);
        write_mem(t.real, tramp->data + kPatchBudgetOffset,
                  std::string(reinterpret_cast<const char*>(&budget), 8));
        now.set_ip(tramp->body);
        set_regs(t, now);
      } else if (tramp->filler != 0xcc || !to_interior_copy(t, *tramp, 1)) {
        if (!debug_trap(t, status)) {
          unpatch();
          diverge(e, "unexpected SIGTRAP at " + now.describe());
        }
      }
    }
    if (!check_unique || rep || !can_check_point(t)) break;
    const uint64_t budget = max_passes - std::min(max_passes, found_at);
    const uint64_t again = passes_to_recurrence(t, e, target, *tramp, match, budget);
    if (!again) break;
    // The trampoline again, its memory check with the stacks (ask_stacks).
    auto rearm = [&] {
      auto with_stacks = build_trampoline(*site, *place, why, trampoline_windows(t, e, target, rep),
                                          compare_first);
      if (!with_stacks || !write_mem(t.real, place->entry, with_stacks->code)) return false;
      tramp = with_stacks;
      return true;
    };
    const StackVerdict stacks =
        compare_stacks_ ? StackVerdict::kNone
                        : ask_stacks(t, e, target, tramp, rearm, match, budget);
    if (stacks == StackVerdict::kHere) break;
    if (stacks == StackVerdict::kFurther) {
      at_point = false;  // on to the pass whose stack matches, checked again there
      Regs on = match;
      on.set_ip(tramp->body);
      set_regs(t, on);
      continue;
    }
    unpatch();
    const std::string first =
        found_at ? "at pass " + std::to_string(found_at) : "where it already is";
    diverge(e, "the recorded point (" + target.describe() + ") is ambiguous: the thread " +
                   "has these registers " + first + " and again " + std::to_string(again) +
                   " passes later, before its next syscall; replay cannot tell which pass " +
                   "was recorded (docs/design.md, Preemption)");
  }
  *passes += passes_so_far();
  unpatch();
  Regs at = get_regs(t);
  at.set_ip(target.ip());
  set_regs(t, at);
  if (inject_syscall(t, e, SYS_munmap, {place->map, kPatchMapBytes}) != 0)
    diverge(e, "cannot unmap the trampoline");
  stop_in_place(t, e);
  return Search::kFound;
}

}  // namespace rp
