// The thread-switch rules (common/rp_switch_rules.h) decide which stops of a
// recorded thread replay must reproduce and which take a number in the global
// order; the eBPF program and the kernel module both run this very header.
// A rule changed here changes what both backends record: each case pins one.
#include <gtest/gtest.h>

#include <sys/syscall.h>

#include <cstring>
#include <vector>

#include "rp_switch_rules.h"

namespace {
std::vector<rp_rec_switch> emitted;  // what the environment's sink wrote
uint64_t seq;
}  // namespace

// The environment's sink, as the producers write it: r's pending stop with a
// fresh number.
static inline void rp_switch_emit(struct rp_runner *r) {
  rp_rec_switch rec{};
  r->pending = 0;
  rec.tid = r->tid;
  rec.tgid = r->tgid;
  rec.seq = ++seq;
  std::memcpy(rec.regs, r->regs, sizeof(rec.regs));
  emitted.push_back(rec);
}

namespace rp {
namespace {

constexpr uint32_t kRunning = 0, kInterruptible = 1, kUninterruptible = 2;
constexpr uint64_t kSigKillBit = 1ull << (9 - 1), kSigTermBit = 1ull << (15 - 1);
constexpr int32_t kSiUser = 0, kSiKernel = 0x80, kSiTkill = -6, kTrapBrkpt = 1;
// (PTRACE_EVENT_x << 8) | SIGTRAP, as ptrace_notify sets si_code.
constexpr int32_t kEventClone = 0x305, kEventExec = 0x405, kEventExit = 0x605,
                  kEventSeccomp = 0x705, kEventStop = 0x8005;

rp_stop_facts facts(uint32_t tid) {
  rp_stop_facts f{};
  f.tid = tid;
  f.tgid = 100;
  return f;
}

rp_stop_facts preempted(uint32_t tid) {
  rp_stop_facts f = facts(tid);
  f.preempt = 1;
  f.state = kRunning;
  return f;
}

rp_stop_facts ptrace_stop(uint32_t tid, int32_t signo, int32_t code) {
  rp_stop_facts f = facts(tid);
  f.state = RP_TASK_TRACED;
  f.siginfo = 1;
  f.si_signo = signo;
  f.si_code = code;
  return f;
}

TEST(SwitchRules, DyingIsExitingSignaledKilledOrGroupExit) {
  EXPECT_FALSE(rp_dying(0, 0, 0, 0));
  EXPECT_TRUE(rp_dying(RP_PF_EXITING, 0, 0, 0));
  EXPECT_TRUE(rp_dying(RP_PF_SIGNALED, 0, 0, 0));
  EXPECT_TRUE(rp_dying(0, kSigKillBit, 0, 0));
  EXPECT_TRUE(rp_dying(0, 0, RP_SIGNAL_GROUP_EXIT, 0));
  // Other pending signals and flags leave it alive: a handler may run.
  EXPECT_FALSE(rp_dying(0, kSigTermBit | (1ull << (RP_SIG_STOP - 1)), 0, 0));
  EXPECT_FALSE(rp_dying(0x40 /* PF_FORKNOEXEC */, 0, 0x1 /* SIGNAL_STOP_STOPPED */, 0));
}

TEST(SwitchRules, ASeccompKilledThreadIsDead) {
  // Modes 0-2 (disabled, strict, filter) run user code again; 3 is the
  // kernel's SECCOMP_MODE_DEAD, set as a filter kills the thread.
  EXPECT_FALSE(rp_seccomp_dead(0));
  EXPECT_FALSE(rp_seccomp_dead(1));
  EXPECT_FALSE(rp_seccomp_dead(2));
  EXPECT_TRUE(rp_seccomp_dead(RP_SECCOMP_MODE_DEAD));
  EXPECT_EQ(RP_SECCOMP_MODE_DEAD, 3);
  // Both backends ask rp_dying, which asks this (the module did not).
  EXPECT_TRUE(rp_dying(0, 0, 0, RP_SECCOMP_MODE_DEAD));
  EXPECT_FALSE(rp_dying(0, 0, 0, 2));
}

TEST(SwitchRules, RpsOwnSigstopsAndPtraceEventsAreQuiet) {
  EXPECT_TRUE(rp_quiet_stop(RP_SIG_STOP, kSiKernel));  // a stall or re-pin
  EXPECT_TRUE(rp_quiet_stop(RP_SIG_STOP, kSiUser));    // a new thread's first stop
  for (int32_t code : {kEventClone, kEventExec, kEventExit, kEventSeccomp, kEventStop})
    EXPECT_TRUE(rp_quiet_stop(RP_SIG_TRAP, code)) << code;
  // A syscall stop (PTRACE_O_TRACESYSGOOD), for the program's emulated ptrace.
  EXPECT_TRUE(rp_quiet_stop(RP_SIG_TRAP, RP_SIG_TRAP | 0x80));
}

TEST(SwitchRules, SignalsDeliveredAreNotQuiet) {
  // A SIGTRAP a program raises (tgkill: SI_TKILL), kill()s or gets from int3.
  for (int32_t code : {kSiTkill, kSiUser, kSiKernel, kTrapBrkpt})
    EXPECT_FALSE(rp_quiet_stop(RP_SIG_TRAP, code)) << code;
  EXPECT_FALSE(rp_quiet_stop(11 /* SIGSEGV */, kSiKernel));
  EXPECT_FALSE(rp_quiet_stop(10 /* SIGUSR1 */, kEventExit));  // only SIGTRAP carries events
}

TEST(SwitchRules, StopsInsideSyscallsOrOfDyingThreadsCountForNothing) {
  rp_stop_facts f = preempted(1);
  f.in_sys = 1;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_NONE);
  f = preempted(1);
  f.dying = 1;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_NONE);
  f = ptrace_stop(1, 10, kSiUser);
  f.dying = 1;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_NONE);
}

// Its sched_setaffinity succeeded and rp has not pinned it back: it may be
// on another CPU, in kernel code, while the recording's CPU runs the others.
TEST(SwitchRules, StopsOfAMovingThreadAreAway) {
  rp_stop_facts preempt = preempted(1), blocked = facts(1), repin_stop = ptrace_stop(1, 19, kSiUser);
  blocked.state = kUninterruptible;
  for (rp_stop_facts f : {preempt, blocked, repin_stop}) {
    f.moving = 1;
    EXPECT_EQ(rp_stop_classify(&f), RP_STOP_AWAY) << f.state;
  }
}

TEST(SwitchRules, PreemptedOrBlockedInUserCodeIsPending) {
  rp_stop_facts f = preempted(1);
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_USER);
  // Preempted while already marked traced: the preemption is what counts.
  f.state = RP_TASK_TRACED;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_USER);
  for (uint32_t state : {kInterruptible, kUninterruptible}) {  // a page fault
    f = facts(1);
    f.state = state;
    EXPECT_EQ(rp_stop_classify(&f), RP_STOP_USER) << state;
  }
}

// Its call returned a restart code (rp_restart_code): until its signal stop
// or the restart's entry it runs kernel code only, and its registers there
// (the code in the return register) are no point replay reaches. Its signal
// stop is still numbered. (ptrace_signal_inject under bpf: a preemption after
// wait4's -ERESTARTSYS for rp's SIGSTOP became a switch replay never reached.)
TEST(SwitchRules, StopsOnTheWayToARestartAreNoPoint) {
  for (int64_t ret : {-512, -513, -514, -516}) EXPECT_TRUE(rp_restart_code(ret)) << ret;
  for (int64_t ret : {-517, -515 /* ENOIOCTLCMD */, -511, -4 /* EINTR */, 0, 512})
    EXPECT_FALSE(rp_restart_code(ret)) << ret;
  rp_stop_facts f = preempted(1), blocked = facts(1);
  blocked.state = kUninterruptible;
  for (rp_stop_facts g : {f, blocked}) {
    g.restarting = 1;
    EXPECT_EQ(rp_stop_classify(&g), RP_STOP_NONE) << g.state;
  }
  f = ptrace_stop(1, 10, kSiUser);
  EXPECT_EQ(rp_signal_stop_flags(&f), 0u);
  f.restarting = 1;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_SIGNAL);
  // Its signal is at that call's return (arm64 rewound it and forgot its number).
  EXPECT_EQ(rp_signal_stop_flags(&f), RP_STOP_F_RESTART_CODE);
  f = ptrace_stop(1, RP_SIG_STOP, kSiKernel);
  f.restarting = 1;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_QUIET);
}

// A SIGSEGV stop of a thread that had SIGSEGV blocked at its last syscall
// return: a trapped instruction's forced signal unblocked it, and the
// supervisor puts it back (record/segv_mask.cc). Other signals, and SIGSEGV
// when it was not blocked, say nothing of the mask.
TEST(SwitchRules, ASegvStopSaysTheSignalWasBlocked) {
  rp_stop_facts f = ptrace_stop(1, RP_SIG_SEGV, kSiKernel);
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_SIGNAL);
  EXPECT_EQ(rp_signal_stop_flags(&f), 0u);
  f.segv_blocked = 1;
  EXPECT_EQ(rp_signal_stop_flags(&f), RP_STOP_F_SEGV_BLOCKED);
  f.restarting = 1;
  EXPECT_EQ(rp_signal_stop_flags(&f), RP_STOP_F_SEGV_BLOCKED | RP_STOP_F_RESTART_CODE);
  f = ptrace_stop(1, 10, kSiUser);
  f.segv_blocked = 1;
  EXPECT_EQ(rp_signal_stop_flags(&f), 0u);
}

// A seccomp or syscall-entry stop starts the call: until its sys_enter, or
// its sys_exit when rp's supervisor skipped it (the program's own ptrace,
// emulated), a preemption is no point in user code (bpf ptrace_emulated: a
// tracer preempted after its skipped ptrace call).
TEST(SwitchRules, AfterASeccompStopItsCallHasBegun) {
  rp_stop_facts stop = ptrace_stop(1, RP_SIG_TRAP, kEventSeccomp);
  EXPECT_EQ(rp_stop_classify(&stop), RP_STOP_QUIET);
  EXPECT_TRUE(rp_stop_enters_call(&stop, rp_stop_classify(&stop)));
  // Only as a quiet stop: preempted while marked traced, it is a user stop.
  rp_stop_facts preempted_stop = stop;
  preempted_stop.preempt = 1;
  EXPECT_FALSE(rp_stop_enters_call(&preempted_stop, rp_stop_classify(&preempted_stop)));
  // A syscall-entry stop (PTRACE_EVENTMSG_SYSCALL_ENTRY), not an exit stop (2).
  rp_stop_facts entry = ptrace_stop(1, RP_SIG_TRAP, RP_SIG_TRAP | 0x80);
  entry.ptrace_message = 1;
  EXPECT_EQ(rp_stop_classify(&entry), RP_STOP_QUIET);
  EXPECT_TRUE(rp_stop_enters_call(&entry, rp_stop_classify(&entry)));
  entry.ptrace_message = 2;
  EXPECT_FALSE(rp_stop_enters_call(&entry, rp_stop_classify(&entry)));
  for (int32_t code : {kEventClone, kEventExec, kEventExit, kEventStop}) {
    rp_stop_facts other = ptrace_stop(1, RP_SIG_TRAP, code);
    other.ptrace_message = 1;  // a pid, or an exit status
    EXPECT_FALSE(rp_stop_enters_call(&other, rp_stop_classify(&other))) << code;
  }
  rp_stop_facts sigusr = ptrace_stop(1, 10, kEventSeccomp);  // not SIGTRAP: a signal
  EXPECT_FALSE(rp_stop_enters_call(&sigusr, rp_stop_classify(&sigusr)));
  rp_stop_facts f = preempted(1), blocked = facts(1);
  blocked.state = kUninterruptible;
  for (rp_stop_facts g : {f, blocked}) {
    EXPECT_EQ(rp_stop_classify(&g), RP_STOP_USER) << g.state;
    g.entering = 1;
    EXPECT_EQ(rp_stop_classify(&g), RP_STOP_NONE) << g.state;
  }
}

// A new task runs kernel code until its return from the clone that made it:
// schedule_tail writes its CLONE_CHILD_SETTID tid, a page fault or a
// preemption may stop it before. Its registers are already those of its
// first instruction, its memory not yet: a point there no replay matches
// (kmod_vm sig_restart_outputs: a fork child preempted before its tid was
// written, whose replay, at the tid rp writes, found no such state).
TEST(SwitchRules, ANewTaskBeforeItsReturnFromCloneIsAtNoPoint) {
  rp_stop_facts f = preempted(1), blocked = facts(1);
  blocked.state = kUninterruptible;
  for (rp_stop_facts g : {f, blocked}) {
    g.unborn = 1;
    EXPECT_EQ(rp_stop_classify(&g), RP_STOP_NONE) << g.state;
  }
}

// An exit numbered before the kernel cleared the thread's tid word: if the
// thread leaves the CPU before the clear, others run seeing it alive, and the
// exit is numbered again when it is back (conformance exit_before_clear).
TEST(SwitchRules, AnExitLeftBeforeItsTidsClearIsNumberedAgain) {
  const uint64_t word_at = 0x7f0000001000;
  EXPECT_TRUE(rp_exit_renumber(word_at, true, 4242));  // not cleared yet
  EXPECT_TRUE(rp_exit_renumber(word_at, false, 0));    // unreadable: not known cleared
  EXPECT_FALSE(rp_exit_renumber(word_at, true, 0));    // cleared: joiners may have run
  EXPECT_FALSE(rp_exit_renumber(0, false, 0));         // cleared and reset, or none
}

TEST(SwitchRules, SignalStopsAreNumberedUnlessQuiet) {
  rp_stop_facts f = ptrace_stop(1, 10, kSiUser);
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_SIGNAL);
  f = ptrace_stop(1, RP_SIG_TRAP, kSiTkill);
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_SIGNAL);
  f = ptrace_stop(1, RP_SIG_STOP, kSiKernel);
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_QUIET);
  f = ptrace_stop(1, RP_SIG_TRAP, kEventExit);
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_QUIET);
  // A job-control stop without ptrace has no siginfo: still a signal stop.
  f = facts(1);
  f.state = RP_TASK_STOPPED;
  EXPECT_EQ(rp_stop_classify(&f), RP_STOP_SIGNAL);
}

// Drives the rules as a producer does: stops (sched_switch's prev), returns
// from syscalls, switch-ins after a user stop, exits.
class SwitchRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    emitted.clear();
    seq = 0;
    r_ = rp_runner{};
  }
  // Returns the kind; a pending stop gets registers naming the thread.
  rp_stop_kind stop(const rp_stop_facts& f) {
    rp_stop_kind kind = rp_stop_classify(&f);
    if (kind == RP_STOP_NONE || kind == RP_STOP_AWAY) return kind;
    rp_runner_stopped(&r_, f.tid, f.tgid, kind);
    if (kind == RP_STOP_USER)
      for (int i = 0; i < RP_SWITCH_REGS; i++) r_.regs[i] = f.tid * 1000 + i;
    return kind;
  }
  bool sys_exit(uint32_t tid, bool dying = false) {
    return rp_runner_sys_exit(&r_, tid, 100, dying);
  }
  bool switched_in(uint32_t tid) { return rp_note_runner(&r_, tid, 100); }
  bool sys_enter(uint32_t tid) { return rp_runner_sys_enter(&r_, tid, 100); }

  rp_runner r_;
};

TEST_F(SwitchRunner, AnotherThreadRunningAfterAUserStopEmitsItOnce) {
  EXPECT_EQ(stop(preempted(1)), RP_STOP_USER);
  EXPECT_TRUE(sys_exit(2));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
  EXPECT_EQ(emitted[0].tgid, 100u);
  EXPECT_EQ(emitted[0].regs[0], 1000u);
  EXPECT_EQ(emitted[0].regs[RP_SWITCH_REGS - 1], 1000u + RP_SWITCH_REGS - 1);
  EXPECT_FALSE(sys_exit(2));  // thread 2 runs on: nothing more
  EXPECT_EQ(emitted.size(), 1u);
}

TEST_F(SwitchRunner, AThreadRunningAloneEmitsNothing) {
  stop(preempted(1));
  EXPECT_FALSE(switched_in(1));
  stop(preempted(1));
  EXPECT_FALSE(sys_exit(1));
  EXPECT_FALSE(sys_exit(2));  // its stop was resumed: not pending any more
  EXPECT_TRUE(emitted.empty());
}

TEST_F(SwitchRunner, SwitchInAfterAUserStopEmitsTheOtherThreadsStop) {
  stop(preempted(1));
  EXPECT_TRUE(switched_in(2));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
}

// Thread 2 ran user code up to a syscall: 1's stop is written before the
// entry takes its number, even if 2's switch-in was not seen.
TEST_F(SwitchRunner, SyscallEntryAfterAUserStopEmitsTheOtherThreadsStop) {
  stop(preempted(1));
  EXPECT_TRUE(sys_enter(2));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
  EXPECT_FALSE(sys_exit(2));  // already written: not again at its exit
  EXPECT_FALSE(sys_enter(2));
  EXPECT_EQ(emitted.size(), 1u);
}

// Thread 2, in fork, had its memory copied while thread 1 ran user code and
// stopped there: 1's stop is numbered before the copy (fork_copy.h), not
// when a thread next resumes user code (2's return from fork, after it).
TEST_F(SwitchRunner, AForksCopyComesAfterTheStopOfAThreadThatRanDuringIt) {
  stop(preempted(1));
  EXPECT_TRUE(rp_runner_fork_copied(&r_, 2, 100));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
  EXPECT_FALSE(sys_exit(2));  // numbered already: not again at the fork's return
  EXPECT_EQ(emitted.size(), 1u);
}

// Thread 2 is dying in the kernel (it runs no user code again) while thread
// 1, its joiner, ran user code (read 2's tid word as alive) and was preempted
// there: 1's stop is numbered before 2's exit, which clears the word, not
// dropped when 1 resumes.
TEST_F(SwitchRunner, AnExitComesAfterTheStopOfAThreadThatRanWhileItWasDying) {
  stop(preempted(1));
  EXPECT_TRUE(rp_runner_exit_numbered(&r_, 2, 100));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
  rp_runner_exit(&r_, 2);
  EXPECT_FALSE(switched_in(1));  // 1 resumes: nothing more
  EXPECT_EQ(emitted.size(), 1u);
  // Without another thread's stop pending, numbering an exit writes nothing.
  EXPECT_FALSE(rp_runner_exit_numbered(&r_, 3, 100));
  EXPECT_EQ(emitted.size(), 1u);
}

// Only in these calls does the end of dup_mmap mean a fork's copy (the
// eBPF program's tracepoint fallback sees every write unlock of the mm).
TEST(SwitchRules, OnlyForkCallsCopyMemory) {
  EXPECT_TRUE(rp_call_forks(SYS_clone));
  EXPECT_TRUE(rp_call_forks(SYS_clone3));
#if defined(SYS_fork)
  EXPECT_TRUE(rp_call_forks(SYS_fork));
  EXPECT_FALSE(rp_call_forks(SYS_vfork));  // shares the memory
#endif
  EXPECT_FALSE(rp_call_forks(SYS_mmap));
  EXPECT_FALSE(rp_call_forks(SYS_munmap));
  EXPECT_FALSE(rp_call_forks(SYS_mprotect));
  EXPECT_FALSE(rp_call_forks(-1));
}

// The first end of dup_mmap in a fork call numbers its copy; one outside a
// call, in another call, or after the copy has its number, does not.
TEST(SwitchRules, AForkCopyEndsOncePerCall) {
  EXPECT_TRUE(rp_fork_copy_ends(true, 0, SYS_clone));
  EXPECT_FALSE(rp_fork_copy_ends(true, 57, SYS_clone));
  EXPECT_FALSE(rp_fork_copy_ends(false, 0, SYS_clone));
  EXPECT_FALSE(rp_fork_copy_ends(true, 0, SYS_mmap));
}

TEST_F(SwitchRunner, SignalAndQuietStopsAreNotPendingButEndTheOthersRun) {
  stop(preempted(1));
  // Thread 2 ran user code up to its signal stop: 1's switch comes first.
  EXPECT_EQ(stop(ptrace_stop(2, 10, kSiUser)), RP_STOP_SIGNAL);
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
  EXPECT_FALSE(sys_exit(3));  // 2 resumes in a handler: no switch at its stop
  EXPECT_EQ(stop(ptrace_stop(3, RP_SIG_STOP, kSiKernel)), RP_STOP_QUIET);
  EXPECT_FALSE(sys_exit(1));
  EXPECT_EQ(emitted.size(), 1u);
}

TEST_F(SwitchRunner, StopsInSyscallsAndOfDyingThreadsAreNoSwitch) {
  stop(preempted(1));
  rp_stop_facts f = preempted(2);
  f.in_sys = 1;
  EXPECT_EQ(stop(f), RP_STOP_NONE);
  EXPECT_TRUE(emitted.empty());  // thread 2 is not found running user code
  EXPECT_EQ(r_.tid, 1u);
  f = preempted(1);
  f.dying = 1;
  EXPECT_EQ(stop(f), RP_STOP_NONE);  // thread 1 never runs user code again
  EXPECT_EQ(r_.pending, 1u);         // its earlier stop stands
  EXPECT_TRUE(sys_exit(3));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
}

TEST_F(SwitchRunner, ADyingThreadsStopIsNeverPending) {
  rp_stop_facts f = preempted(1);
  f.dying = 1;
  stop(f);
  EXPECT_FALSE(sys_exit(2));
  EXPECT_TRUE(emitted.empty());
}

TEST_F(SwitchRunner, ADyingThreadLeavingASyscallLeavesThePendingStop) {
  stop(preempted(1));
  EXPECT_FALSE(sys_exit(2, /*dying=*/true));
  EXPECT_TRUE(emitted.empty());
  EXPECT_TRUE(sys_exit(3));  // the next thread to run user code emits it
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
}

// bpf.threads' escape case: thread 2's sched_setaffinity moved it to another
// CPU; its sys_exit, its stops there (a preemption, rp's SIGSTOP for the
// re-pin) ran while thread 1's stop was being saved on the recording's CPU.
// None of them may touch the runner: 1's stop is written whole, once, when
// 2 is back and runs user code.
TEST_F(SwitchRunner, AMovingThreadLeavesTheRunnerAlone) {
  stop(preempted(1));
  EXPECT_FALSE(sys_exit(2, /*dying or moving=*/true));
  rp_stop_facts f = preempted(2);
  f.moving = 1;
  EXPECT_EQ(stop(f), RP_STOP_AWAY);
  f = ptrace_stop(2, 19, kSiUser);
  f.moving = 1;
  EXPECT_EQ(stop(f), RP_STOP_AWAY);
  EXPECT_TRUE(emitted.empty());
  EXPECT_EQ(r_.tid, 1u);
  EXPECT_EQ(r_.pending, 1u);
  EXPECT_TRUE(switched_in(2));  // pinned back
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].tid, 1u);
  EXPECT_EQ(emitted[0].regs[0], 1000u);
}

TEST_F(SwitchRunner, AnExitingLastRunnerLeavesNoSwitch) {
  stop(preempted(1));
  rp_runner_exit(&r_, 2);  // another thread's exit changes nothing
  rp_runner_exit(&r_, 1);
  EXPECT_FALSE(sys_exit(2));
  EXPECT_TRUE(emitted.empty());
}

TEST_F(SwitchRunner, EachSwitchTakesTheNextNumber) {
  stop(preempted(1));
  sys_exit(2);
  stop(preempted(2));
  switched_in(1);
  ASSERT_EQ(emitted.size(), 2u);
  EXPECT_EQ(emitted[0].tid, 1u);
  EXPECT_EQ(emitted[1].tid, 2u);
  EXPECT_LT(emitted[0].seq, emitted[1].seq);
  EXPECT_EQ(r_.tid, 1u);
  EXPECT_EQ(r_.pending, 0u);
}

}  // namespace
}  // namespace rp
