/* rp_switch_rules.h — the one copy of the thread-switch rules: when a
 * recorded thread's stop in user code becomes an RP_REC_SWITCH record
 * (rp_abi.h) and which stops take a sequence number for the signal event the
 * supervisor makes of them. Compiled as BPF C (record/bpf/rp.bpf.c), kernel C
 * (kmod/rp_switch.c) and C++ (tests/unit/switch_rules_test.cc); each keeps
 * its own state storage and reads the task facts these rules decide on.
 *
 * With every thread of a recording on one CPU, the switch records and the
 * syscall records are the whole interleaving of user code:
 * - The last runner is the recorded thread that last ran user code. A thread
 *   that stops outside a syscall (preempted, blocked in a page fault) has run
 *   user code up to there: it becomes the last runner, stopped at its
 *   registers (pending), and it resumes user code when it is switched in.
 * - When a thread B resumes user code (at its sys_exit, or switched in after
 *   such a stop) and the last runner is another thread with a pending stop,
 *   that stop becomes a record with a fresh sequence number, ordered before
 *   anything B does; B is the last runner from then on. A thread that only
 *   ever runs alone emits nothing.
 * - A stop for a signal (ptrace or job control) is not pending: rp's
 *   supervisor records the signal as an event, numbered as the thread
 *   stopped, and the thread resumes elsewhere (a handler). rp's own SIGSTOPs
 *   and ptrace event stops become no event, so they take no number (it would
 *   be a hole in the global order).
 * - A thread on its way out never runs user code again: where it stops is no
 *   point replay must reach (its death is an event of its own).
 *
 * The environment defines, after including this header:
 *   RP_INLINE void rp_switch_emit(struct rp_runner *r)
 *       writes r's pending stop (tid, tgid, regs, digest) as an RP_REC_SWITCH record
 *       with a fresh sequence number.
 * Plain C with fixed-width types (the BPF verifier's and the kernel's terms).
 */
#ifndef RP_SWITCH_RULES_H
#define RP_SWITCH_RULES_H

#include "rp_abi.h"

#ifndef RP_INLINE
#define RP_INLINE static inline
#endif

/* Kernel values the rules read (stable ABI of the scheduler; rp_switch.c
 * checks them against the kernel's own at build time; BTF has no macros). */
#define RP_TASK_STOPPED 0x4        /* __TASK_STOPPED */
#define RP_TASK_TRACED 0x8         /* __TASK_TRACED */
#define RP_PF_EXITING 0x4          /* task flags: in do_exit */
#define RP_PF_SIGNALED 0x400       /* task flags: a fatal signal is being acted on */
#define RP_SIGNAL_GROUP_EXIT 0x4   /* signal_struct.flags: the thread group is exiting */
#define RP_SECCOMP_MODE_DEAD 3     /* task seccomp.mode: a filter killed it (kernel/seccomp.c) */
#define RP_SIG_TRAP 5
#define RP_SIG_KILL 9
#define RP_SIG_SEGV 11
#define RP_SIG_STOP 19
#define RP_PTRACE_EVENT_SECCOMP 7
#define RP_PTRACE_EVENTMSG_SYSCALL_ENTRY 1 /* task ptrace_message at a syscall-entry stop */

/* The last recorded thread that ran user code and, when it then stopped
 * outside a syscall (pending), its user registers. One per recording. */
struct rp_runner {
	__u32 tid;        /* 0: none yet */
	__u32 tgid;
	__u32 pending;
	__u32 pad;
	__u64 regs[RP_SWITCH_REGS];
	struct rp_point_digest digest; /* of the pending stop (rp_digest_rules.h) */
	__u64 t_ns;                    /* when it stopped (CLOCK_MONOTONIC) */
};

/* What the scheduler knows of a thread leaving the CPU (sched_switch's prev). */
struct rp_stop_facts {
	__u32 tid, tgid;
	__u32 in_sys;     /* between sys_enter and sys_exit: its records order it */
	__u32 dying;      /* rp_dying() */
	__u32 preempt;    /* preempted, not blocked */
	__u32 state;      /* its task state (sched_switch's prev_state) */
	__u32 siginfo;    /* 1: last_siginfo is set (a ptrace stop) and si_* are its */
	__s32 si_signo, si_code;
	__u64 ptrace_message; /* the task's ptrace_message (what PTRACE_GETEVENTMSG reads) */
	__u32 moving;     /* its sched_setaffinity succeeded, rp has not pinned it back yet */
	__u32 restarting; /* its last syscall returned a restart code (rp_restart_code) and no
			   * signal stop has come since: it goes on in the kernel, not in user code */
	__u32 entering;   /* it made a seccomp stop (rp_stop_enters_call) and has not reached
			   * that call's sys_enter or sys_exit since */
	__u32 unborn;     /* a new task that has not returned from its clone (sys_exit): it
			   * runs kernel code only, its user registers are clone's return
			   * state, and its memory may still lack what the kernel writes
			   * there (schedule_tail's CLONE_CHILD_SETTID tid) */
	__u32 segv_blocked; /* SIGSEGV was in its blocked mask at its last syscall return */
};

enum rp_stop_kind {
	RP_STOP_NONE,     /* no point in user code: nothing to note */
	RP_STOP_USER,     /* preempted or blocked in user code: a pending switch */
	RP_STOP_SIGNAL,   /* a signal stop the supervisor makes an event of: numbered now */
	RP_STOP_QUIET,    /* a stop that becomes no event: rp's SIGSTOP, a ptrace event */
	RP_STOP_AWAY,     /* moving: touches no runner state, resumes user code when back */
};

/* The environment's sink (see above). */
RP_INLINE void rp_switch_emit(struct rp_runner *r);

/* The thread's seccomp mode: a filter's KILL_THREAD or KILL_PROCESS marks the
 * thread dead at the entry of the vetoed call (before the sys_enter tracepoint)
 * and sends it a forced SIGSYS; until get_signal sets PF_SIGNALED it may be
 * preempted, with its registers rolled back onto the call (the instruction
 * after `syscall`, the call's number in the return register). Replay cannot
 * stop there: it reaches the call first (conformance seccomp_kill, bpf: 5 of
 * 30 replays diverged at such a switch). */
RP_INLINE bool rp_seccomp_dead(__s32 seccomp_mode)
{
	return seccomp_mode == RP_SECCOMP_MODE_DEAD;
}

/* Task flags, its pending signals' first word, its thread group's flags and
 * its seccomp mode: the thread will not run user code again. */
RP_INLINE bool rp_dying(__u32 task_flags, __u64 pending_sig0, __u32 signal_flags,
			__s32 seccomp_mode)
{
	return (task_flags & (RP_PF_EXITING | RP_PF_SIGNALED)) ||
	       (pending_sig0 & (1ull << (RP_SIG_KILL - 1))) ||
	       (signal_flags & RP_SIGNAL_GROUP_EXIT) || rp_seccomp_dead(seccomp_mode);
}

/* A ptrace stop that rp's supervisor turns into no event: rp's own SIGSTOPs
 * (a stall, a re-pin, a new thread's first stop), ptrace event stops
 * (exit, clone, exec, seccomp: SIGTRAP with the event in si_code's second
 * byte, where no signal is delivered) and syscall stops (SIGTRAP | 0x80:
 * taken only for the program's emulated ptrace, at a syscall's entry or exit).
 * A SIGTRAP sent by a program (SI_TKILL, SI_USER: si_code <= 0) is a signal
 * like any other. */
RP_INLINE bool rp_quiet_stop(__s32 si_signo, __s32 si_code)
{
	if (si_signo == RP_SIG_STOP)
		return true;
	if (si_signo == RP_SIG_TRAP && si_code == (RP_SIG_TRAP | 0x80))
		return true;
	return si_signo == RP_SIG_TRAP && si_code > 0 && (si_code >> 8) != 0;
}

/* A stop at a syscall's entry, before sys_enter: a seccomp stop
 * (PTRACE_EVENT_SECCOMP, a call rp's filter traps) or a syscall-entry stop
 * (PTRACE_SYSCALL, taken by a thread that uses the program's emulated ptrace;
 * the kernel's ptrace_message tells it from the exit stop). The thread is past
 * its user code (the stop is quiet: the last runner, nothing pending). rp's
 * supervisor answers the call there (the program's own ptrace: number -1,
 * then no sys_enter, only sys_exit) or lets it go on. Until that sys_enter or
 * sys_exit it runs kernel code only: a preemption meanwhile is no point in
 * user code. (bpf ptrace_emulated: a tracer preempted after its skipped
 * ptrace call became a switch inside that call, which replay could not reach;
 * in CI, and 1 in 60 runs beside short-sleeping CPU hogs.) */
RP_INLINE bool rp_stop_enters_call(const struct rp_stop_facts *f, enum rp_stop_kind kind)
{
	if (kind != RP_STOP_QUIET || !f->siginfo || f->si_signo != RP_SIG_TRAP)
		return false;
	if (f->si_code == (RP_SIG_TRAP | 0x80))
		return f->ptrace_message == RP_PTRACE_EVENTMSG_SYSCALL_ENTRY;
	return (f->si_code >> 8) == RP_PTRACE_EVENT_SECCOMP;
}

/* Whether this stop numbers its call's entry: the first stop at that entry
 * (rp_stop_enters_call). The thread's user code ends there, but its
 * sys_enter comes only once rp's supervisor lets it go on, and meanwhile
 * other threads may run theirs (a thread of the program's tracer takes a
 * stop at every call's entry; a held tracee waits for its tracer). Replay
 * runs user code in the order of the entries (replay/entry_scheduler.h), so
 * the entry's place is the stop: numbered there, taken by its sys_enter, or
 * by the supervisor for a call it answers (no sys_enter then). (tr.c, a
 * worker thread's mutex unlock that ran while the tracer's main thread was
 * held between its lock attempt and its futex: replay ran it after the
 * futex, and gdb's worker threads diverged likewise.) */
RP_INLINE bool rp_stop_numbers_entry(const struct rp_stop_facts *f, enum rp_stop_kind kind)
{
	return !f->entering && rp_stop_enters_call(f, kind);
}

/* The flags of a signal stop's rp_stop_point (rp_abi.h): a thread on its way
 * back from a call that returned a restart code is at that call's return; a
 * SIGSEGV it had blocked may have been forced through (a trapped
 * instruction's). */
RP_INLINE __u32 rp_signal_stop_flags(const struct rp_stop_facts *f)
{
	__u32 flags = f->restarting ? RP_STOP_F_RESTART_CODE : 0;

	if (f->siginfo && f->si_signo == RP_SIG_SEGV && f->segv_blocked)
		flags |= RP_STOP_F_SEGV_BLOCKED;
	return flags;
}

/* How a thread's leaving the CPU counts. */
RP_INLINE enum rp_stop_kind rp_stop_classify(const struct rp_stop_facts *f)
{
	/* Between a successful sched_setaffinity's return and rp's re-pin the
	 * thread may run kernel code on another CPU, at the same time as the
	 * recording's CPU runs the others: it runs no user code there, and an
	 * unlocked producer (eBPF) must not let it write the runner then. */
	if (f->moving)
		return RP_STOP_AWAY;
	if (f->in_sys || f->entering || f->unborn || f->dying)
		return RP_STOP_NONE;
	if (f->preempt || !(f->state & (RP_TASK_STOPPED | RP_TASK_TRACED)))
		return f->restarting ? RP_STOP_NONE : RP_STOP_USER;
	if (f->siginfo && rp_quiet_stop(f->si_signo, f->si_code))
		return RP_STOP_QUIET;
	return RP_STOP_SIGNAL;
}

/* Thread tid of tgid runs user code next (or is found to have run it): the
 * last runner's pending stop, if another thread's, is written first. True
 * if a record was written. */
RP_INLINE bool rp_note_runner(struct rp_runner *r, __u32 tid, __u32 tgid)
{
	bool emitted = false;

	if (r->tid != tid) {
		if (r->pending) {
			rp_switch_emit(r);
			emitted = true;
		}
		r->tid = tid;
		r->tgid = tgid;
	}
	r->pending = 0; /* it goes on from where it stopped: nothing to replay */
	return emitted;
}

/* Thread tid of tgid left the CPU, a stop of this kind (rp_stop_classify,
 * not RP_STOP_NONE): it ran user code up to there, and resumes it when
 * switched in. For RP_STOP_USER the stop is pending: the caller saves the
 * thread's user registers in r->regs, their digest in r->digest and the
 * time in r->t_ns. For
 * RP_STOP_SIGNAL the caller numbers the stop for the supervisor. */
RP_INLINE void rp_runner_stopped(struct rp_runner *r, __u32 tid, __u32 tgid,
				 enum rp_stop_kind kind)
{
	rp_note_runner(r, tid, tgid);
	if (kind == RP_STOP_USER)
		r->pending = 1;
}

/* Thread tid returns to user code from a syscall (sys_exit). A dying thread
 * does not, nor one about to stop for its re-pin (moving: it comes back
 * through a switch-in): the pending stop waits for a thread that does. */
RP_INLINE bool rp_runner_sys_exit(struct rp_runner *r, __u32 tid, __u32 tgid, bool dying)
{
	if (dying)
		return false;
	return rp_note_runner(r, tid, tgid);
}

/* Thread tid enters a syscall (sys_enter): it ran user code up to its
 * syscall instruction, so another thread's pending stop came before. Said
 * before the entry takes its number. Its switch-in usually said so already;
 * this holds the order where that was missed (bpf.threads saw a switch
 * numbered between another thread's getcpu entry and exit, which replay
 * could not reach). */
RP_INLINE bool rp_runner_sys_enter(struct rp_runner *r, __u32 tid, __u32 tgid)
{
	return rp_note_runner(r, tid, tgid);
}

/* Whether syscall nr may copy its caller's memory for a new process: only in
 * one of these does the end of dup_mmap (the caller's mm unlocked for
 * writing) mean the copy's end. */
RP_INLINE bool rp_call_forks(__s64 nr)
{
#ifdef RP_NR_FORK
	if (nr == RP_NR_FORK)
		return true;
#endif
	return nr == RP_NR_CLONE || nr == RP_NR_CLONE3;
}

/* A thread reaches the end of dup_mmap (a hook there, or the caller's mm
 * unlocked for writing): whether that is its fork's copy's end, to be
 * numbered now. in_sys: it is in syscall nr; copy_seq: the number this call
 * took for it already (0: none), which a second unlock must not replace. */
RP_INLINE bool rp_fork_copy_ends(bool in_sys, __u64 copy_seq, __s64 nr)
{
	return in_sys && !copy_seq && rp_call_forks(nr);
}

/* Thread tid's fork has copied its process's memory for a new process (the
 * end of dup_mmap where the producer can see it, else sched_process_fork,
 * which comes after the rest of copy_process), which the copy's number then
 * places in the order (common/fork_copy.h). Threads that ran user code while it was in the
 * kernel wrote before the copy's end: another thread's pending stop is
 * numbered first, as when tid resumes user code (their numbers are otherwise
 * taken when a thread does, after the copy's). */
RP_INLINE bool rp_runner_fork_copied(struct rp_runner *r, __u32 tid, __u32 tgid)
{
	return rp_note_runner(r, tid, tgid);
}

/* An exiting thread's exit is numbered just before do_exit clears its tid
 * (its CLONE_CHILD_CLEARTID word, set_tid_address) and wakes pthread_join,
 * but it may leave the CPU in between (futex_exit_release's mutex, a page
 * fault in exit_robust_list, a preemption): the threads that run meanwhile
 * still see it alive, and their calls come after its number. A thread that
 * leaves the CPU with its exit numbered (the producers ask only then) and
 * its word not cleared yet (clear_child_tid still set: the kernel resets it
 * after the clear; the word nonzero, or unreadable) has its exit numbered
 * again when it is back. */
RP_INLINE bool rp_exit_renumber(__u64 clear_child_tid, bool word_read, __u32 word)
{
	return clear_child_tid && (!word_read || word != 0);
}

/* Thread tid's exit takes its number (the first, or again: rp_exit_renumber).
 * The exit then writes memory other threads read (its tid word, which wakes
 * pthread_join; its robust futexes), as a fork's copy does: a thread that ran
 * user code while tid was dying in the kernel and left the CPU there (a
 * joiner that read the word as alive, then was preempted before its futex
 * call) is numbered first, or its stop would be dropped when it resumes
 * (tid runs no user code again) and replay would let the exit clear the word
 * before the joiner's read (threads.new_thread_switch, 1 bpf run in 7). */
RP_INLINE bool rp_runner_exit_numbered(struct rp_runner *r, __u32 tid, __u32 tgid)
{
	return rp_note_runner(r, tid, tgid);
}

/* Thread tid exits: if it was the last runner, its stop is no switch to
 * replay (it will not be back). */
RP_INLINE void rp_runner_exit(struct rp_runner *r, __u32 tid)
{
	if (r->tid == tid)
		r->pending = 0;
}

#endif /* RP_SWITCH_RULES_H */
