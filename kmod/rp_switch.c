// SPDX-License-Identifier: GPL-2.0
/* Switch records (RP_REC_SWITCH, see rp_abi.h): where the scheduler took a
 * recorded thread off user code and another recorded thread then ran user
 * code before it. The rules (when a stop is a switch, which stops take a
 * sequence number, dying threads) are common/rp_switch_rules.h, shared with
 * the eBPF program; this file keeps their state and gives them the task's
 * facts. A signal stop's number is kept for the supervisor (RP_IOC_TAKE).
 *
 * The state is under one raw spinlock: sched_switch runs with the run queue
 * locked and interrupts off, where nothing may sleep or wake a task; and
 * nothing wakes a task while holding it (the wakeup would take a run-queue
 * lock: the reverse order).
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/ptrace.h>
#include <asm/ptrace.h>

#include "rp_internal.h"
#include "rp_switch_rules.h"
#include "rp_digest_rules.h"
/* Records that found the ring full in the scheduler, written at the next
 * probe that can: sequence numbers, not ring order, sort records. */
#define RP_SWITCH_BACKLOG 16

static DEFINE_RAW_SPINLOCK(rp_switch_lock);
static struct rp_runner rp_runner;
static struct rp_rec_switch rp_backlog[RP_SWITCH_BACKLOG];
static int rp_nbacklog;

/* The rules read these as the kernel defines them. */
static_assert(RP_TASK_STOPPED == __TASK_STOPPED && RP_TASK_TRACED == __TASK_TRACED);
static_assert(RP_PF_EXITING == PF_EXITING && RP_PF_SIGNALED == PF_SIGNALED);
static_assert(RP_SIGNAL_GROUP_EXIT == SIGNAL_GROUP_EXIT);
static_assert(RP_SIG_TRAP == SIGTRAP && RP_SIG_KILL == SIGKILL && RP_SIG_STOP == SIGSTOP &&
	      RP_SIG_SEGV == SIGSEGV);
static_assert(RP_PTRACE_EVENT_SECCOMP == PTRACE_EVENT_SECCOMP &&
	      RP_PTRACE_EVENTMSG_SYSCALL_ENTRY == PTRACE_EVENTMSG_SYSCALL_ENTRY);

bool rp_switch_user_task(struct task_struct *t)
{
	return !(t->flags & (PF_KTHREAD | PF_IO_WORKER));
}

bool rp_switch_dying(struct task_struct *t)
{
#ifdef CONFIG_SECCOMP
	const int seccomp_mode = READ_ONCE(t->seccomp.mode);
#else
	const int seccomp_mode = 0;
#endif

	return rp_dying(t->flags, t->pending.signal.sig[0], READ_ONCE(t->signal->flags),
			seccomp_mode);
}

/* The registers PTRACE_GETREGS (x86_64 user_regs_struct) or NT_PRSTATUS
 * (arm64 user_pt_regs) would show for t, stopped out of user code. */
static void rp_user_regs(struct task_struct *t, u64 *w)
{
	const struct pt_regs *r = task_pt_regs(t);

	memset(w, 0, RP_SWITCH_REGS * sizeof(u64));
#if defined(CONFIG_X86_64)
	/* r15 .. ss: user_regs_struct begins with pt_regs' 21 words. */
	BUILD_BUG_ON(offsetof(struct pt_regs, ss) != 20 * sizeof(u64));
	memcpy(w, r, 21 * sizeof(u64));
	/* As ptrace reads a stopped task's: what the last switch saved. */
	w[21] = t->thread.fsbase;
	w[22] = t->thread.gsbase;
	w[23] = t->thread.ds;
	w[24] = t->thread.es;
	w[25] = t->thread.fsindex;
	w[26] = t->thread.gsindex;
#elif defined(CONFIG_ARM64)
	/* regs[31], sp, pc, pstate: user_pt_regs is pt_regs' prefix. */
	BUILD_BUG_ON(sizeof(struct user_pt_regs) != RP_SWITCH_REGS * sizeof(u64));
	memcpy(w, r, sizeof(struct user_pt_regs));
#else
#error "rp.ko: switch records need this architecture's user register layout"
#endif
}

/* The digest of the memory t's user registers w point to (rp_digest_rules.h).
 * t is current, entering the scheduler: its memory is the one mapped, and a
 * page that is not resident is left out rather than faulted in. */
static void rp_point_digest(const u64 *w, struct rp_point_digest *d)
{
	u64 window[RP_DIGEST_WINDOW / 8];
	u32 i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < RP_DIGEST_REGS; i++) {
		u64 start = 0;
		u32 len = rp_digest_register_window(w, RP_SWITCH_REGS, i, &start);

		if (!len || copy_from_user_nofault(window, (const void __user *)start, len))
			continue;
		d->sum[i] = rp_digest_words(window, len / 8);
		d->mask |= 1u << i;
	}
}

/* Under rp_switch_lock, so without waking the drainer: a wakeup takes a
 * run-queue lock, and sched_switch holds one while it waits for this lock. */
static bool rp_switch_write(const struct rp_rec_switch *rec)
{
	struct rp_rec_switch *p = rp_ring_reserve(&rp->ring, sizeof(*p));

	if (!p)
		return false;
	memcpy((u8 *)p + sizeof(p->h), (const u8 *)rec + sizeof(rec->h),
	       sizeof(*rec) - sizeof(rec->h));
	rp_ring_commit_quiet(&rp->ring, p, RP_REC_SWITCH, 0, sizeof(*p));
	atomic64_inc(&rp->st.records);
	atomic64_add(sizeof(*p), &rp->st.bytes);
	return true;
}

/* The rules' sink, under rp_switch_lock: r's pending stop becomes a record. */
static inline void rp_switch_emit(struct rp_runner *r)
{
	struct rp_rec_switch rec;

	r->pending = 0;
	rec.tid = r->tid;
	rec.tgid = r->tgid;
	rec.seq = rp_next_seq();
	memcpy(rec.regs, r->regs, sizeof(rec.regs));
	rec.digest = r->digest;
	rec.t_ns = r->t_ns;
	atomic64_inc(&rp->st.switches);
	if (!rp_nbacklog && rp_switch_write(&rec))
		return;
	if (rp_nbacklog == RP_SWITCH_BACKLOG) {
		atomic64_inc(&rp->st.lost);  /* counted: the recording says it is incomplete */
		return;
	}
	atomic64_inc(&rp->st.ring_full);
	rp_backlog[rp_nbacklog++] = rec;
}

void rp_switch_stop(struct rp_thread *th, struct task_struct *t, bool preempt,
		    unsigned int state)
{
	/* t is current, entering the scheduler: its siginfo is its own. */
	const kernel_siginfo_t *si = t->last_siginfo;
	struct rp_stop_facts f = {
		.tid = task_pid_nr(t),
		.tgid = task_tgid_nr(t),
		.in_sys = th->in_sys,
		.dying = th->exiting || rp_switch_dying(t),
		.preempt = preempt,
		.state = state,
		.siginfo = si != NULL,
		.si_signo = si ? si->si_signo : 0,
		.si_code = si ? si->si_code : 0,
		.ptrace_message = t->ptrace_message,
		.restarting = th->restarting,
		.entering = th->entering,
		.unborn = th->unborn,
		.segv_blocked = th->segv_blocked,
	};
	enum rp_stop_kind kind;
	unsigned long flags;
	u64 regs[RP_SWITCH_REGS];
	struct rp_point_digest digest;
	bool numbers_entry;

	kind = rp_stop_classify(&f);
	if (kind == RP_STOP_NONE || !rp_switch_user_task(t))
		return;
	numbers_entry = rp_stop_numbers_entry(&f, kind);
	if (rp_stop_enters_call(&f, kind))
		th->entering = true;
	/* The registers and the digest's reads are t's own: taken before the
	 * lock every recorded thread's switch waits for. A signal stop's digest
	 * goes with its number to the supervisor, which reads the stop after
	 * other threads may have run (RP_IOC_TAKE_STOP_POINT). */
	if (kind == RP_STOP_USER || kind == RP_STOP_SIGNAL) {
		rp_user_regs(t, regs);
		rp_point_digest(regs, &digest);
	}
	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	th->user_stop = true;
	rp_runner_stopped(&rp_runner, f.tid, f.tgid, kind);
	if (numbers_entry)  /* after the switch rp_runner_stopped wrote */
		WRITE_ONCE(th->stop_entry_seq, rp_next_seq());
	if (kind == RP_STOP_USER) {
		memcpy(rp_runner.regs, regs, sizeof(regs));
		rp_runner.digest = digest;
		rp_runner.t_ns = ktime_get_ns();
	} else if (kind == RP_STOP_SIGNAL) {
		th->stop_digest = digest;
		th->stop_flags = rp_signal_stop_flags(&f);
		WRITE_ONCE(th->stop_seq, rp_next_seq());  /* before any other thread runs */
		th->restarting = false;  /* a handler or the restart comes next */
	}
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
}

/* t (current) leaves the CPU: if it numbered its exit and has not cleared
 * its tid yet, its exit takes a new number when it is back (rp_exit_renumber). */
void rp_switch_exit_left(struct rp_thread *th, struct task_struct *t)
{
	u64 addr;
	u32 word = 0;
	bool read;

	if (!(t->flags & PF_EXITING) || !READ_ONCE(th->exit_seq))
		return;
	addr = (u64)(unsigned long)t->clear_child_tid;
	read = addr && !copy_from_user_nofault(&word, (const void __user *)(unsigned long)addr,
					       sizeof(word));
	th->exit_renumber = rp_exit_renumber(addr, read, word);
}

void rp_switch_returned(struct rp_thread *th, long ret)
{
	xchg(&th->stop_entry_seq, 0);  /* a call answered at its entry stop */
	/* current's own mask: only it changes it (RP_STOP_F_SEGV_BLOCKED) */
	th->segv_blocked = sigismember(&current->blocked, SIGSEGV);
	th->restarting = rp_restart_code(ret);
	th->entering = false;
	th->unborn = false;
}

void rp_switch_resume(struct rp_thread *th, struct task_struct *t, bool switched_in)
{
	unsigned long flags;
	bool emitted;

	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	th->user_stop = false;
	if (switched_in)
		emitted = rp_note_runner(&rp_runner, task_pid_nr(t), task_tgid_nr(t));
	else
		emitted = rp_runner_sys_exit(&rp_runner, task_pid_nr(t), task_tgid_nr(t),
					     rp_switch_dying(t));
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
	if (emitted && !switched_in)
		rp_ring_wake(&rp->ring);
}

/* Applies one of the rules by which t is found to have run user code (its
 * syscall entry, its fork's copy, its exit's number) under the runner's lock.
 * `wake`: false in the scheduler's own hook, where waking the reader could
 * take a runqueue lock already held (rp_switch_resume's switch-in does not
 * wake either). */
static void rp_switch_note(struct task_struct *t,
			   bool (*rule)(struct rp_runner *r, __u32 tid, __u32 tgid), bool wake)
{
	unsigned long flags;
	bool emitted;

	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	emitted = rule(&rp_runner, task_pid_nr(t), task_tgid_nr(t));
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
	if (emitted && wake)
		rp_ring_wake(&rp->ring);
}

void rp_switch_enter(struct task_struct *t)
{
	rp_switch_note(t, rp_runner_sys_enter, true);
}

void rp_switch_fork_copied(struct task_struct *t)
{
	rp_switch_note(t, rp_runner_fork_copied, true);
}

void rp_switch_copy_end(struct rp_thread *th, struct task_struct *t)
{
	if (!rp_fork_copy_ends(th->in_sys, th->copy_seq, th->nr))
		return;
	rp_switch_flush();
	rp_switch_fork_copied(t);
	th->copy_seq = rp_next_seq();
}

void rp_switch_exit_numbered(struct task_struct *t, bool wake)
{
	rp_switch_note(t, rp_runner_exit_numbered, wake);
}

void rp_switch_exit(struct task_struct *t)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	rp_runner_exit(&rp_runner, task_pid_nr(t));
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
}

void rp_switch_flush(void)
{
	unsigned long flags;
	int i, n;

	if (!READ_ONCE(rp_nbacklog))
		return;
	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	for (n = 0; n < rp_nbacklog && rp_switch_write(&rp_backlog[n]); n++)
		;
	for (i = n; i < rp_nbacklog; i++)
		rp_backlog[i - n] = rp_backlog[i];
	rp_nbacklog -= n;
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
}

/* After the probes are gone: what is still in the backlog is lost. */
void rp_switch_reset(void)
{
	unsigned long flags;

	rp_switch_flush();
	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	atomic64_add(rp_nbacklog, &rp->st.lost);
	rp_nbacklog = 0;
	memset(&rp_runner, 0, sizeof(rp_runner));
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
}
