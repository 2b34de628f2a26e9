// Whether a recorded switch point found at one pass of its instruction is
// the only pass with those registers. Without a branch counter a loop that
// keeps its state in memory (an interpreter's bytecode loop, `while (!flag)`)
// passes the instruction with identical registers again and again; replay
// stops at the first such pass, which may be earlier than the recorded one
// (tests/threads python_list, docs/design.md "Preemption"). When the
// thread's next recorded event is its own (a syscall or a trapped
// instruction), the recorded pass is between the one found and that event,
// so running a copy of the thread there tells: another pass with the same
// registers first means the point is ambiguous. (The copy runs alone, as the
// thread did from its previous event up to the recorded pass: a pass it
// reaches with the same registers is one the recording could have had.)
// When the thread was switched out again before that stop, the recorded pass
// is before the next switch, which may look like every pass too (its
// registers repeat): then a recurrence anywhere on the way to the stop makes
// the point ambiguous, found over a shorter run (kThroughSwitchesPasses).
#include <elf.h>  // NT_X86_XSTATE, NT_PRFPREG
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

#include "copy_private_memory.h"
#include "point_copy_bound.h"
#include "point_digest.h"
#include "point_patch.h"
#include "proc_maps.h"
#include "replayer.h"
#include "tracee.h"
#include "tracee_mem.h"

namespace rp {
namespace {

// How far ahead the thread's next event is looked for (events of other
// threads in between are only read, not replayed).
constexpr size_t kMaxPeek = 4096;

// CPU seconds a copy of the thread may run (its way to the next syscall).
constexpr double kCopyCpuSeconds = 2;

// A switch whose thread was switched out again before its next syscall is
// checked over a shorter run: the passes that look alike in a loop come one
// to a few passes apart (a spin on a global, CPython's bytecode loop), and a
// thread computing for seconds between syscalls, switched out every few ms,
// would otherwise run a copy for up to kCopyCpuSeconds at each switch.
constexpr uint64_t kThroughSwitchesPasses = 4096;
constexpr double kThroughSwitchesCpuSeconds = 0.25;

// Stops of the copy rp handles at most. A loop that branches into the
// patched bytes stops the copy on every pass (an interior trap), and those
// round trips cost rp's time more than the copy's CPU: on a loaded machine
// the CPU bound alone took minutes (sample_spin_flag's spin loop starts
// inside the patch when the switch is at the work loop's last branch). Past
// it the point is not checked, as past the CPU bound.
constexpr unsigned kCopyMaxStops = 20000;

// The copy stopped after the relocated instruction's trap `tramp` knows of
// (`trap` = rip - 1 for int3): where it resumes, or 0 if not one of them.
uint64_t resume_after_trap(const Trampoline& tramp, uint64_t trap) {
  if (trap == tramp.forced) return tramp.body;
  for (auto [orig, copy] : tramp.interior)
    if (trap == orig) return copy;
  return 0;
}

// CPU seconds the copy has run, from /proc/PID/stat (utime + stime).
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; i++) {  // fields 3.. after "(comm)"
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Waits for the copy's next stop. False (the copy still running) once its
// CPU time passes cpu_bound seconds, or on an error.
bool wait_copy(pid_t copy, int* status, double cpu_bound) {
  for (unsigned polls = 0;; polls++) {
    const pid_t r = waitpid(copy, status, __WALL | WNOHANG);
    if (r == copy) return true;
    if (r < 0 && errno != EINTR) return false;
    if (polls % 64 == 63 && cpu_seconds(copy) > cpu_bound) return false;
    if (polls < 16) {
      sched_yield();
    } else {
      usleep(1000);
    }
  }
}

// The thread's vector and FPU state (x86 XSAVE area, arm64 NT_PRFPREG).
std::string fp_state(pid_t tid) {
#if defined(__x86_64__)
  constexpr unsigned kSet = NT_X86_XSTATE;
#else
  constexpr unsigned kSet = NT_PRFPREG;
#endif
  std::string buf(8192, '\0');
  iovec iov{buf.data(), buf.size()};
  if (ptrace(PTRACE_GETREGSET, tid, kSet, &iov) != 0) return {};
  buf.resize(iov.iov_len);
  return buf;
}

// Whether m is writable memory of the program's, not one of rp's own mappings
// (those holding an address of `own`: the trampoline's data, the agent's
// window).
bool program_writable(const ProcMap& m, const std::vector<uint64_t>& own) {
  if (m.perms.size() != 4 || m.perms[1] != 'w') return false;
  for (uint64_t a : own)
    if (a >= m.start && a < m.end) return false;
  return true;
}

// Whether the copy, at a pass with the recorded registers, is in the state
// the thread was in at the match: the same vector registers and the same
// bytes in every writable mapping but rp's own (those holding an address of
// `own`: the trampoline's data, the agent's window) and the trampoline's
// spill slots under the stack pointer `sp` (written on every pass). Such a
// loop is at a fixed point: the copy ran alone and deterministically from
// that state, so every later pass is that state again, and the recorded
// pass, whichever it was, is indistinguishable from the first.
bool same_state(pid_t real, pid_t copy, uint64_t sp, const std::vector<uint64_t>& own) {
  std::string fp = fp_state(real);
  if (fp.empty() || fp != fp_state(copy)) return false;
  constexpr uint64_t kChunk = 1 << 20;
  uint64_t budget = uint64_t{512} << 20;  // bytes compared at most: past it, not shown the same
  const uint64_t spill_lo = sp - kPatchSpillLow, spill_hi = sp - kPatchSpillHigh;
  for (const ProcMap& m : read_proc_maps(copy)) {
    if (!program_writable(m, own)) continue;
    for (uint64_t at = m.start; at < m.end; at += kChunk) {
      uint64_t n = std::min(kChunk, m.end - at);
      if (n > budget) return false;
      budget -= n;
      std::string a = read_mem(real, at, n), b = read_mem(copy, at, n);
      if (a.size() != n || b.size() != n) return false;
      for (uint64_t x = std::max(at, spill_lo); x < std::min(at + n, spill_hi); x++)
        a[x - at] = b[x - at] = 0;
      if (a != b) return false;
    }
  }
  return true;
}

// Ends the copy and waits until it is gone (as rp's tracee, it may stop
// once more at its exit event).
void end_copy(pid_t copy) {
  kill(copy, SIGKILL);
  int status;
  while (waitpid(copy, &status, __WALL) == copy && !WIFEXITED(status) && !WIFSIGNALED(status))
    ptrace(PTRACE_CONT, copy, nullptr, nullptr);
}

}  // namespace

Replayer::OwnWay Replayer::way_to_own_stop(const Task& t, std::optional<int64_t>* stop_ns) {
  OwnWay way = OwnWay::kNext;
  for (size_t i = 0; i < kMaxPeek; i++) {
    const Event* next = peek_event(i);
    if (!next) return OwnWay::kNone;
    if (next->tid != t.rec) continue;
    if (next->kind == EventKind::kSyscall || next->kind == EventKind::kInsn) {
      if (stop_ns) *stop_ns = next->began_ns();
      return way;
    }
    if (next->kind != EventKind::kPreempt) return OwnWay::kNone;
    way = OwnWay::kThroughSwitches;
  }
  return OwnWay::kNone;
}

// The thread is held at a match for `target` (`at_match`: its registers,
// rip after the int3 at tramp.hit, or the site's when it was already there)
// with the trampoline in place. Forks it (a process holding a copy of this
// thread only) and runs the copy on from the relocated instructions up to its
// next syscall or signal, at most max_passes passes: the number of passes to
// the next one with the recorded registers, or 0 for none (or not checked:
// no copy, or no decision within max_passes, which a trace whose next event
// is the thread's own stop does not lead to; or a pass in the very state of
// the match: same_state). The program's own memory and registers are left as
// they were.
uint64_t Replayer::passes_to_recurrence(Task& t, const Event& e, const Regs& target,
                                        const Trampoline& tramp, const Regs& at_match,
                                        uint64_t max_passes) {
  double cpu_bound = kCopyCpuSeconds;
  std::optional<int64_t> stop_ns;
  if (way_to_own_stop(t, &stop_ns) == OwnWay::kThroughSwitches) {
    max_passes = std::min(max_passes, kThroughSwitchesPasses);
    cpu_bound = kThroughSwitchesCpuSeconds;
  }
  cpu_bound = copy_cpu_bound(cpu_bound, e.ended_ns(), stop_ns);
  const uint64_t at = at_match.ip();
  constexpr size_t kInjected = kSyscallInsnLen;  // the injected syscall's bytes, put back
  const std::string original = read_mem(t.real, at, kInjected);
  // A sibling of the program (CLONE_PARENT): rp, its parent, reaps it, and
  // nothing tells the program about it.
  const int64_t copy = inject_syscall(t, e, SYS_clone, {CLONE_PARENT, 0, 0, 0, 0});
  if (copy <= 0) return 0;  // not checked, as before this check existed
  int status;
  if (waitpid(static_cast<pid_t>(copy), &status, __WALL) != copy || !WIFSTOPPED(status))
    diverge(e, "the thread's copy did not stop");
  pid_t c = static_cast<pid_t>(copy);
  if (!make_shared_memory_private(c)) {
    end_copy(c);
    return 0;  // not checked, as before this check existed
  }
  // Other threads run after the switch, and the thread's real way to its
  // next event may depend on what they write: the copy, which runs alone,
  // may instead wait for them forever, away from the site (a spin-wait).
  // Its CPU time is bounded (wait_copy; point_copy_bound.h, from the
  // recording's times): past it the point is not checked.
  // The copy was made with the injected syscall instruction in place.
  Regs r = at_match;
  r.set_ip(tramp.body);
  const uint64_t first_budget = std::min<uint64_t>(uint64_t{1} << 26, max_passes);
  bool ok = original.size() == kInjected && write_mem(c, at, original) && r.write(c) &&
            write_mem(c, tramp.data + kPatchPassesOffset, std::string(8, '\0')) &&
            write_mem(c, tramp.data + kPatchBudgetOffset,
                      std::string(reinterpret_cast<const char*>(&first_budget), 8)) &&
            agent_empty_window_of_copy(c, t.real_tgid);
  uint64_t found = 0;
  for (unsigned stops = 0; ok && stops < kCopyMaxStops; stops++) {
    if (ptrace(static_cast<__ptrace_request>(PTRACE_SYSEMU), c, nullptr, nullptr) != 0 ||
        !wait_copy(c, &status, cpu_bound) || !WIFSTOPPED(status) || (status >> 16) != 0)
      break;  // ended, or at an event (none is expected before a syscall)
    const int sig = WSTOPSIG(status);
    if (sig != SIGTRAP && sig != SIGILL) break;  // a syscall (SIGTRAP|0x80) or a fault
    Regs now;
    if (!now.read(c)) break;
    // An int3 leaves the ip past it, arm64's brk at it; SIGILL (an x86 filler) at it.
    const uint64_t trap = sig == SIGTRAP ? now.ip() - kPatchTrapAfter : now.ip();
    const uint64_t counted = read_u64(c, tramp.data + kPatchPassesOffset).value_or(0);
    if (sig == SIGTRAP && trap == tramp.hit) {
      Regs there = now;
      there.set_ip(target.ip());
      const std::vector<uint64_t> own{tramp.data, agent_base(t.real_tgid)};
      if (there.same_user_state(target) && memory_matches(t, c, e, there, own)) {
        if (!same_state(t.real, c, target.sp(), own)) found = counted;
        break;
      }
      now.set_ip(tramp.body);
    } else if (uint64_t to = resume_after_trap(tramp, trap); to != 0) {
      if (trap == tramp.forced) {
        if (counted >= max_passes) break;
        const uint64_t budget = std::min<uint64_t>(uint64_t{1} << 26, max_passes - counted);
        write_mem(c, tramp.data + kPatchBudgetOffset,
                  std::string(reinterpret_cast<const char*>(&budget), 8));
      }
      now.set_ip(to);
    } else {
      break;  // the program's own trap or fault: the thread stops there
    }
    ok = now.write(c);
  }
  end_copy(c);
  return found;
}

// The part of a thread's stack mapping `m` (the one holding its sp) where
// replay's bytes may differ from the recording's: where its stack grows, up
// to its thread pointer when that is in the same mapping (a glibc thread's
// TCB, at the top of its stack, above the stack itself; x86_64 only: arm64's
// is not among the registers read here).
static std::pair<uint64_t, uint64_t> stack_part(const ProcMap& m, const Regs& r) {
#if defined(__x86_64__)
  const uint64_t tp = r.raw.fs_base;
  if (tp > r.sp() && tp < m.end) return {m.start, tp};
#else
  (void)r;
#endif
  return {m.start, m.end};
}

// Whether thread t (or `pid`, a copy of it), at the recorded registers `at`,
// has the memory the switch e recorded a digest of (common/point_digest.h; a
// trace without one: yes). Only windows in the program's writable memory are
// compared: code and rp's own mappings (those holding an address of `own`)
// hold rp's patches in replay, not what the recording read. So are the
// threads' stacks: replay's injected calls, the agent and the trampolines
// write under a thread's stack pointer, which the recorded kernel did not,
// and a later, deeper frame's slots the program never writes still hold those
// bytes: unless compare_stacks_, when passes they leave alike differ only
// there (a count kept in a stack slot), and a pass whose stack holds the
// recorded bytes, if there is only one, is the recorded one.
bool Replayer::memory_matches(Task& t, pid_t pid, const Event& e, const Regs& at,
                              const std::vector<uint64_t>& own) {
  for (const DigestWindow& w : compared_windows(t, pid, e, at, own))
    if (!digest_window_holds(pid, w)) return false;
  return true;
}

// The windows of e's digest memory_matches compares at registers `at` (none
// for a trace without a digest). t's own stack is the one at `at`: the
// thread is there, or about to be searched there (the trampoline's check).
std::vector<DigestWindow> Replayer::compared_windows(Task& t, pid_t pid, const Event& e,
                                                     const Regs& at,
                                                     const std::vector<uint64_t>& own) {
  const std::optional<rp_point_digest> d = point_digest(e);
  if (!d || !d->mask) return {};
  if (!search_maps_ || search_maps_->seq != e.seq || search_maps_->pid != pid)
    search_maps_ = SearchMaps{e.seq, pid, read_proc_maps(pid)};
  const std::vector<ProcMap>& maps = search_maps_->maps;
  std::vector<std::pair<uint64_t, uint64_t>> stacks;
  for (auto& [rec, o] : tasks_) {
    Regs r = at;
    if (compare_stacks_ || o.real_tgid != t.real_tgid || o.state == State::kGone ||
        (o.real != t.real && !r.read(o.real)))
      continue;
    for (const ProcMap& m : maps)
      if (r.sp() >= m.start && r.sp() < m.end) stacks.push_back(stack_part(m, r));
  }
  auto compared = [&](uint64_t start, uint32_t len) {
    for (auto [lo, hi] : stacks)
      if (start < hi && start + len > lo) return false;
    for (const ProcMap& m : maps) {
      if (start < m.start || start + len > m.end) continue;  // a window is in one page
      return program_writable(m, own);
    }
    return false;
  };
  return point_digest_windows(*d, at, compared);
}

// The point is ambiguous at `match` by its registers and the digest's
// windows outside the stacks: whether its windows in the stacks pick out one
// pass. Here: the thread's pass has the recorded stack bytes and no later one
// does. Further: its pass has not (the search goes on to one that has, then
// checks that no pass after it has them too). compare_stacks_ is left
// set unless the answer is none; `rearm` rewrites the search's trampoline
// (`tramp`) with the windows compared now, so that the copy, and the search
// after it, stop only at passes whose stacks match too.
Replayer::StackVerdict Replayer::ask_stacks(Task& t, const Event& e, const Regs& target,
                                            const std::optional<Trampoline>& tramp,
                                            const std::function<bool()>& rearm,
                                            const Regs& match, uint64_t max_passes) {
  Regs there = match;
  there.set_ip(target.ip());
  const std::vector<uint64_t> own{agent_base(t.real_tgid)};
  const size_t outside = compared_windows(t, t.real, e, there, own).size();
  compare_stacks_ = true;
  if (compared_windows(t, t.real, e, there, own).size() > outside && rearm()) {
    // Not here: the search goes on through what may be millions of passes,
    // which the copy's CPU bound would cut short; if none matches, it ends
    // at the thread's next syscall, a divergence.
    if (!memory_matches(t, t.real, e, there, own)) return StackVerdict::kFurther;
    if (!passes_to_recurrence(t, e, target, *tramp, match, max_passes)) return StackVerdict::kHere;
  }
  compare_stacks_ = false;
  return StackVerdict::kNone;
}

// Whether the ambiguity can be checked here: the thread's next own stop
// follows (at most after switches of its own). (A copy's shared memory is
// made private: copy_private_memory.h.)
bool Replayer::can_check_point(Task& t) {
  if (parent_of(t.real_tgid) != getpid()) return false;
  return way_to_own_stop(t) != OwnWay::kNone;
}

}  // namespace rp
