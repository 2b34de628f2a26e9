// SPDX-License-Identifier: GPL-2.0
/* Switch records (RP_REC_SWITCH, see rp_abi.h): where the scheduler took a
 * recorded thread off user code and another recorded thread then ran user
 * code before it. With every thread of a recording on one CPU, these and the
 * syscall records are the whole interleaving of user code. The eBPF program
 * (record/bpf/rp.bpf.c) emits the same records by the same rules:
 *
 * - The last runner is the recorded thread that last ran user code. A thread
 *   that stops outside a syscall (preempted, blocked in a page fault) has run
 *   user code up to there: it becomes the last runner, stopped at these
 *   registers (pending), and it resumes user code when it is switched in.
 * - When a thread B resumes user code (at its sys_exit, or switched in after
 *   such a stop) and the last runner is another thread with a pending stop,
 *   that stop becomes a record with a fresh sequence number, ordered before
 *   anything B does; B is the last runner from then on. A thread that only
 *   ever runs alone emits nothing.
 * - A stop for a signal (ptrace or job control) is not pending: rp's
 *   supervisor records the signal as an event, with the sequence number
 *   taken here as it stopped (RP_IOC_TAKE), and the thread resumes elsewhere
 *   (a handler).
 *
 * The state is under one raw spinlock: sched_switch runs with the run queue
 * locked and interrupts off, where nothing may sleep or wake a task; and
 * nothing wakes a task while holding it (the wakeup would take a run-queue
 * lock: the reverse order).
 */
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/spinlock.h>
#include <asm/ptrace.h>

#include "rp_internal.h"

/* Records that found the ring full in the scheduler, written at the next
 * probe that can: sequence numbers, not ring order, sort records. */
#define RP_SWITCH_BACKLOG 16

static DEFINE_RAW_SPINLOCK(rp_switch_lock);
static struct {
	pid_t tid, tgid;            /* 0: none yet */
	bool pending;               /* stopped outside a syscall at regs */
	u64 regs[RP_SWITCH_REGS];
} rp_runner;
static struct rp_rec_switch rp_backlog[RP_SWITCH_BACKLOG];
static int rp_nbacklog;

bool rp_switch_user_task(struct task_struct *t)
{
	return !(t->flags & (PF_KTHREAD | PF_IO_WORKER | PF_EXITING));
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

/* Under rp_switch_lock: the last runner's pending stop becomes a record. */
static void rp_switch_emit(void)
{
	struct rp_rec_switch rec;

	rp_runner.pending = false;
	rec.tid = rp_runner.tid;
	rec.tgid = rp_runner.tgid;
	rec.seq = rp_next_seq();
	memcpy(rec.regs, rp_runner.regs, sizeof(rec.regs));
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

/* Under rp_switch_lock: t runs user code next (or is found to have run it).
 * True if a record was emitted. */
static bool rp_note_runner(struct task_struct *t)
{
	pid_t tid = task_pid_nr(t);
	bool emitted = false;

	if (rp_runner.tid != tid) {
		if (rp_runner.pending) {
			rp_switch_emit();
			emitted = true;
		}
		rp_runner.tid = tid;
		rp_runner.tgid = task_tgid_nr(t);
	}
	rp_runner.pending = false;  /* it goes on from where it stopped */
	return emitted;
}

void rp_switch_stop(struct rp_thread *th, struct task_struct *t, bool preempt,
		    unsigned int state)
{
	unsigned long flags;

	/* A thread between sys_enter and sys_exit is ordered by its records. */
	if (th->in_sys || !rp_switch_user_task(t))
		return;
	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	th->user_stop = true;
	rp_note_runner(t);
	if (!preempt && (state & (__TASK_STOPPED | __TASK_TRACED))) {
		/* Numbered before any other thread runs. */
		WRITE_ONCE(th->stop_seq, rp_next_seq());
	} else {
		rp_user_regs(t, rp_runner.regs);
		rp_runner.pending = true;
	}
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
}

void rp_switch_resume(struct rp_thread *th, struct task_struct *t, bool quiet)
{
	unsigned long flags;
	bool emitted;

	raw_spin_lock_irqsave(&rp_switch_lock, flags);
	th->user_stop = false;
	emitted = rp_note_runner(t);
	raw_spin_unlock_irqrestore(&rp_switch_lock, flags);
	if (emitted && !quiet)
		rp_ring_wake(&rp->ring);
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
