// SPDX-License-Identifier: GPL-2.0
/* Tracepoint probes and per-thread state.
 *
 * Probes run with preemption disabled: they copy user memory without
 * faulting and never sleep. When that is not enough (a page is not present,
 * the ring is full, the output is large) the record is finished by a
 * task_work queued on the thread itself: it runs before the thread returns
 * to user space (or in do_exit), in process context where faults are served
 * and the thread can sleep until the drainer makes room. The thread is thus
 * held at its syscall exit instead of losing anything, and no signal or
 * ptrace stop is involved.
 */
#include <linux/binfmts.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kprobes.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>
#include <asm/syscall.h>

#include "rp_internal.h"

static DEFINE_HASHTABLE(rp_threads, 10);
static DEFINE_SPINLOCK(rp_threads_lock);

/* Exited threads' exit numbers until the supervisor reaps them (by tid). */
struct rp_exit {
	struct hlist_node node;
	pid_t tid;
	u64 seq;
};
static DEFINE_HASHTABLE(rp_exits, 8);
static DEFINE_SPINLOCK(rp_exits_lock);

static void rp_deferred_work(struct callback_head *cb);

static bool rp_switches(void)
{
	return rp->cfg.flags & RP_KMOD_F_SWITCHES;
}

/* ---- per-thread state ---- */

static struct rp_thread *rp_find(struct task_struct *t)
{
	struct rp_thread *th;

	hash_for_each_possible_rcu(rp_threads, th, node, (unsigned long)t)
		if (th->task == t)
			return th;
	return NULL;
}

static struct rp_thread *rp_thread_add(struct task_struct *t, gfp_t gfp)
{
	struct rp_thread *th = kzalloc(sizeof(*th), gfp | __GFP_NOWARN);

	if (!th) {
		atomic64_inc(&rp->st.lost);  /* the thread goes untraced: say so */
		return NULL;
	}
	th->task = t;
	refcount_set(&th->ref, 1);
	init_task_work(&th->work, rp_deferred_work);
	spin_lock(&rp_threads_lock);
	hash_add_rcu(rp_threads, &th->node, (unsigned long)t);
	spin_unlock(&rp_threads_lock);
	atomic64_inc(&rp->st.threads);
	return th;
}

static void rp_thread_put(struct rp_thread *th)
{
	if (!refcount_dec_and_test(&th->ref))
		return;
	kfree(th->exec_path);
	kfree(th->pend_exec_path);
	kfree_rcu(th, rcu);
}

static void rp_thread_remove(struct rp_thread *th)
{
	bool removed = false;

	spin_lock(&rp_threads_lock);
	if (!hlist_unhashed(&th->node)) {
		hlist_del_init_rcu(&th->node);
		removed = true;
	}
	spin_unlock(&rp_threads_lock);
	if (removed) {
		atomic64_dec(&rp->st.threads);
		rp_thread_put(th);
	}
}

void rp_threads_clear(void)
{
	struct rp_thread *th;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(rp_threads, bkt, tmp, th, node)
		rp_thread_remove(th);
}

static bool rp_matches(struct task_struct *t)
{
	if (t->tgid == rp->self_tgid)
		return false;  /* the drainer's own syscalls would feed back forever */
	if (rp->pid)
		return t->tgid == rp->pid;
	if (rp->cfg.comm[0])
		return !strncmp(t->comm, rp->cfg.comm, sizeof(rp->cfg.comm));
	return false;  /* tree mode: threads are added at start and at fork only */
}

static struct rp_thread *rp_current(void)
{
	struct rp_thread *th = rp_find(current);

	if (!th && rp_matches(current))
		th = rp_thread_add(current, GFP_ATOMIC);
	return th;
}

/* ---- deferral ---- */

static void rp_defer(struct rp_thread *th)
{
	if (th->work_queued)
		return;
	refcount_inc(&th->ref);
	atomic64_inc(&rp->st.inflight);
	if (task_work_add(current, &th->work, TWA_RESUME)) {
		/* Past exit_task_work(): cannot happen from these probes. */
		atomic64_add(th->npend_task + th->pend_sys_valid, &rp->st.lost);
		th->npend_task = 0;
		th->pend_sys_valid = false;
		atomic64_dec(&rp->st.inflight);
		rp_thread_put(th);
		return;
	}
	th->work_queued = true;
}

static void rp_emit_task(struct rp_thread *th, struct rp_rec_task *rec)
{
	struct rp_rec_task *p = NULL;

	/* A thread with work pending keeps its own records in order. */
	if (!th->work_queued)
		p = rp_ring_reserve(&rp->ring, sizeof(*rec));
	if (p) {
		memcpy((u8 *)p + sizeof(p->h), (u8 *)rec + sizeof(rec->h),
		       sizeof(*rec) - sizeof(rec->h));
		rp_ring_commit(&rp->ring, p, RP_REC_TASK, 0, sizeof(*rec));
		atomic64_inc(&rp->st.records);
		atomic64_add(sizeof(*rec), &rp->st.bytes);
		return;
	}
	if (th->npend_task == RP_MAX_PEND_TASK) {
		atomic64_inc(&rp->st.lost);
		return;
	}
	th->pend_task[th->npend_task++] = *rec;
	rp_defer(th);
}

/* The table entry whose buffers a record carries (a restart_syscall's: the
 * call it continues): none for a killed call. */
static const struct rp_kspec *rp_rec_spec(const struct rp_rec_syscall *rec)
{
	return rec->h.flags & RP_SYSF_KILLED ? NULL : rp_spec(rp_buffers_nr(rec->nr, rec->args));
}

static void rp_emit_syscall(struct rp_thread *th, struct rp_rec_syscall *rec)
{
	const struct rp_kspec *s = rp_rec_spec(rec);
	u32 flags = rp->cfg.flags;

	if (!th->work_queued &&
	    rp_emit_fast(&rp->ring, rec, s, flags, th->exec_path, th->exec_path_len))
		return;
	if (th->pend_sys_valid) {
		/* Cannot happen: the work runs before the next syscall. */
		atomic64_inc(&rp->st.lost);
		return;
	}
	atomic64_inc(&rp->st.deferred);
	th->pend_sys = *rec;
	th->pend_sys_valid = true;
	/* The entry copy of execve's path moves with the record. */
	swap(th->pend_exec_path, th->exec_path);
	th->pend_exec_path_len = th->exec_path_len;
	th->exec_path_len = 0;
	rp_defer(th);
}

static void rp_deferred_work(struct callback_head *cb)
{
	struct rp_thread *th = container_of(cb, struct rp_thread, work);
	int i = 0;

	th->work_queued = false;
	/* Emit in sequence order: at most a fork or exit record and one syscall. */
	while (i < th->npend_task || th->pend_sys_valid) {
		if (i < th->npend_task &&
		    (!th->pend_sys_valid || th->pend_task[i].seq < th->pend_sys.seq)) {
			struct rp_rec_task *p = rp_ring_reserve_wait(&rp->ring, sizeof(*p));

			if (p) {
				memcpy((u8 *)p + sizeof(p->h), (u8 *)&th->pend_task[i] + sizeof(p->h),
				       sizeof(*p) - sizeof(p->h));
				rp_ring_commit(&rp->ring, p, RP_REC_TASK, 0, sizeof(*p));
				atomic64_inc(&rp->st.records);
				atomic64_add(sizeof(*p), &rp->st.bytes);
			} else {
				atomic64_inc(&rp->st.lost);
			}
			i++;
		} else {
			rp_emit_slow(&rp->ring, &th->pend_sys, rp_rec_spec(&th->pend_sys), rp->cfg.flags,
				     th->pend_exec_path, th->pend_exec_path_len);
			th->pend_sys_valid = false;
		}
	}
	th->npend_task = 0;
	rp_thread_put(th);
	if (atomic64_dec_and_test(&rp->st.inflight))
		wake_up_all(&rp->idle);
}

/* ---- probes ---- */

/* 32-bit syscalls use other numbers and layouts: not modelled. (x86's
 * in_compat_syscall() would also match x32, whose bit orig_ax = -1 has.) */
static bool rp_compat(void)
{
#ifdef CONFIG_X86_64
	return in_ia32_syscall();
#else
	return in_compat_syscall();
#endif
}

static void rp_arch_skip_syscall(struct pt_regs *regs)
{
	/* The syscall path re-reads the number after sys_enter probes. */
#ifdef CONFIG_ARM64
	regs->syscallno = NO_SYSCALL;
	regs->regs[0] = -ENOSYS;  /* arm64 leaves x0 alone for a skipped call */
#else
	regs->orig_ax = -1;       /* x86 entry code preset ax to -ENOSYS */
#endif
}

/* A negative number at entry is either the program's own (syscall(-1),
 * which the kernel fails with ENOSYS: a call like any other) or a call the
 * ptrace supervisor skipped at its syscall-entry stop (the program's own
 * ptrace, emulated), which it records itself. Only a thread that runs with
 * syscall-entry stops (PTRACE_SYSCALL; the supervisor resumes the others
 * with PTRACE_CONT) can be at such a stop, and the supervisor records every
 * -1 there, the program's own too (emulation_entry). */
static bool rp_skipped_at_entry_stop(void)
{
#ifdef CONFIG_GENERIC_ENTRY
	return test_syscall_work(SYSCALL_TRACE);
#else
	return test_thread_flag(TIF_SYSCALL_TRACE);
#endif
}

static void rp_fill_syscall(struct rp_rec_syscall *rec, struct rp_thread *th)
{
	memset(rec, 0, sizeof(*rec));
	rec->tid = task_pid_nr(current);
	rec->tgid = task_tgid_nr(current);
	rec->tseq = ++th->tseq;
	rec->t_exit = ktime_get_ns();
}

static void rp_sys_enter(void *data, struct pt_regs *regs, long id)
{
	const struct rp_kspec *s;
	struct rp_thread *th;

	if (!READ_ONCE(rp->running))
		return;
	if (id < 0 && rp_skipped_at_entry_stop())
		return;
	th = rp_current();
	if (!th)
		return;
	if (rp_compat()) {
		atomic64_inc(&rp->st.lost);  /* 32-bit syscalls are not modelled */
		return;
	}
	if (rp_switches()) {
		/* It ran user code up to here: a switch from the last runner
		 * comes before its entry (common/rp_switch_rules.h). */
		rp_switch_flush();
		rp_switch_enter(current);
	}
	s = rp_spec(id);
	th->nr = id;
	syscall_get_arguments(current, regs, (unsigned long *)th->args);
	if (id == RP_NR_RESTART_SYSCALL)
		rp_restart_args(&th->restart, th->args);
	/* Numbered at its entry stop if it had one (rp_stop_numbers_entry). */
	th->entry_seq = xchg(&th->stop_entry_seq, 0);
	if (!th->entry_seq)
		th->entry_seq = rp_next_seq();
	th->t_entry = ktime_get_ns();
	th->copy_seq = 0;
	th->in_sys = true;
	th->restarting = false;
	th->entering = false;
	th->entry_len[0] = th->entry_len[1] = 0;
	th->exec_path_len = 0;
	if (!s)
		return;
	/* Unreadable here is rare (the length lives next to the call); then
	 * sys_exit's value alone bounds the bytes (rp_entry_len). */
	rp_spec_entry_lens(s, th->args, th->entry_len);
	switch (rp_spec_policy(s)) {
	case RP_POLICY_ENOSYS:
		if (rp->cfg.flags & RP_KMOD_F_ENOSYS) {
			rp_arch_skip_syscall(regs);
			atomic64_inc(&rp->st.enosys);
		}
		break;
	case RP_POLICY_EXECVE: {
		/* Its path is in the old mm, gone at sys_exit if it succeeds. */
		int a = rp_spec_str_arg(s);
		long n;

		if (!(rp->cfg.flags & RP_KMOD_F_INPUTS) || a < 0 || !th->args[a])
			break;
		if (!th->exec_path)
			th->exec_path = kmalloc(PATH_MAX, GFP_ATOMIC | __GFP_NOWARN);
		if (!th->exec_path)
			break;
		n = rp_strncpy_nofault(th->exec_path, th->args[a], PATH_MAX);
		if (n > 0)
			th->exec_path_len = n;
		else if (n < 0)
			atomic64_inc(&rp->st.copy_faults);  /* see rp_sched_exec() */
		break;
	}
	case RP_POLICY_EXIT: {
		/* exit and exit_group never reach sys_exit: record them now. */
		struct rp_rec_syscall rec;

		rp_fill_syscall(&rec, th);
		rec.nr = id;
		memcpy(rec.args, th->args, sizeof(rec.args));
		rec.entry_seq = th->entry_seq;
		rec.t_entry = th->t_entry;
		rec.seq = rp_next_seq();
		rec.h.flags = RP_SYSF_NO_EXIT;
		th->in_sys = false;
		/* PF_EXITING comes only after the PTRACE_EVENT_EXIT stop: a
		 * preemption before it is no stop in user code (a switch
		 * record after the exit call, which replay cannot reach). */
		th->exiting = true;
		rp_emit_syscall(th, &rec);
		break;
	}
	}
}

/* The thread goes back to user code: the last runner's pending stop, if
 * another thread's, is ordered before it (and before its syscall record). */
static void rp_resume_user(struct rp_thread *th)
{
	if (!rp_switches())
		return;
	rp_switch_flush();
	rp_switch_resume(th, current, false);  /* not if it is dying (the rules) */
}

/* The program moved a thread to other CPUs: it stops before running user
 * code again, and rp's supervisor puts it back on the recording's CPU. The
 * call itself is recorded as usual (what it asked for is in its input). */
static void rp_stop_after_affinity(struct rp_thread *th, long ret)
{
	if (!rp_switches() || th->nr != __NR_sched_setaffinity || ret != 0)
		return;
	WRITE_ONCE(th->repin, 1);
	send_sig(SIGSTOP, current, 1);  /* SI_KERNEL, like bpf_send_signal_thread */
}

/* A successful kernel copy into the program's stdout or stderr: its bytes
 * never passed through the program's memory, and replay echoes them. The
 * module does not read files, so the record is parked and the thread stopped
 * before it returns to user space; rp's supervisor reads the bytes back from
 * the source file at that stop (RP_IOC_TAKE_STALLED, common/kernel_copy.h).
 * Only for replayable recordings: they have that supervisor. */
static bool rp_stall_kernel_copy(struct rp_thread *th, const struct rp_rec_syscall *rec)
{
	int arg = rp_copy_to_check(rec->nr, rec->ret);
	struct file *f;
	bool out;

	if (arg < 0 || !rp_switches() || rec->args[arg] > INT_MAX)
		return false;
	f = fget((unsigned int)rec->args[arg]);
	if (!f)
		return false;
	out = rp_is_output_file(&rp->outputs, file_inode(f)->i_ino,
				(u32)file_inode(f)->i_sb->s_dev);
	fput(f);
	if (!out)
		return false;
	if (READ_ONCE(th->stalled)) {
		/* Cannot happen: the thread stops before its next call. */
		atomic64_inc(&rp->st.lost);
		return true;
	}
	th->stalled_rec = *rec;
	smp_store_release(&th->stalled, true);
	atomic64_inc(&rp->st.stalls);
	send_sig(SIGSTOP, current, 1);  /* SI_KERNEL: one of rp's own stops */
	return true;
}

/* A sys_exit without its sys_enter: was the call answered by a seccomp
 * filter (RET_ERRNO, RET_TRAP, RET_USER_NOTIF...)? The kernel runs the
 * filters before the sys_enter tracepoint; a call they answer skips it but
 * still reaches sys_exit, the answer in the return register (for RET_TRAP
 * rolled back to the number), the number in place. rp's own filter refuses
 * its ENOSYS calls so. A thread's other entry-less exits come before it
 * first returned from a syscall while traced (returned): a new thread's
 * return from clone, tracing that began inside a call. */
static bool rp_answered_by_seccomp(bool returned, long nr, int pol, long ret)
{
	if (pol == RP_POLICY_ENOSYS && ret == -ENOSYS)
		return true;  /* refused by rp's filter: it never runs, whoever asks */
#ifdef CONFIG_SECCOMP_FILTER
	return returned && nr >= 0 && READ_ONCE(current->seccomp.mode) == SECCOMP_MODE_FILTER;
#else
	return false;
#endif
}

static void rp_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	struct rp_rec_syscall rec;
	struct rp_thread *th;
	bool entered;

	if (!READ_ONCE(rp->running))
		return;
	th = rp_current();
	if (!th || rp_compat())
		return;
	entered = th->in_sys;
	rp_resume_user(th);
	rp_switch_returned(th, ret);
	if (th->in_sys) {
		th->in_sys = false;
		rp_restart_note(&th->restart, th->nr, th->args, ret);
		rp_fill_syscall(&rec, th);
		rec.nr = th->nr;
		memcpy(rec.args, th->args, sizeof(rec.args));
		rec.entry_seq = th->entry_seq;
		rec.t_entry = th->t_entry;
		rec.entry_len[0] = th->entry_len[0];
		rec.entry_len[1] = th->entry_len[1];
	} else {
		/* An exit without its entry is recorded only where the other
		 * backends record one too: the traced program's first execve
		 * (tracing began inside it) and a call a seccomp filter answered
		 * (it runs before sys_enter). Otherwise it is a new thread's
		 * return from clone or tracing began mid-call. */
		long nr = syscall_get_nr(current, regs);
		int pol = rp_spec_policy(rp_spec(nr));
		bool exec = pol == RP_POLICY_EXECVE && ret == 0;
		bool returned = th->returned;

		th->returned = true;
		if (!exec && !rp_answered_by_seccomp(returned, nr, pol, ret))
			return;
		rp_fill_syscall(&rec, th);
		rec.nr = nr;
		if (exec) {
			rec.h.flags = RP_SYSF_NO_ENTRY;
		} else {
			syscall_get_arguments(current, regs, (unsigned long *)rec.args);
			rec.entry_seq = rp_next_seq();
			rec.t_entry = rec.t_exit;  /* answered before sys_enter: no time in it */
		}
	}
	th->returned = true;
	if (fatal_signal_pending(current)) {
		/* The call never returns to user space: no outputs (ptrace
		 * records it the same way). */
		rec.h.flags |= RP_SYSF_KILLED;
		atomic64_inc(&rp->st.killed);
	}
	rec.ret = ret;
	rec.seq = rp_next_seq();
	if (entered && !(rec.h.flags & RP_SYSF_KILLED) && rp_stall_kernel_copy(th, &rec))
		return;
	rp_emit_syscall(th, &rec);
	if (entered && !(rec.h.flags & RP_SYSF_KILLED))
		rp_stop_after_affinity(th, ret);
}

/* prev stops running, next starts: a stop in user code is kept; next,
 * stopped in user code before, resumes it now. */
static void rp_sched_switch(void *data, bool preempt, struct task_struct *prev,
			    struct task_struct *next, unsigned int prev_state)
{
	struct rp_thread *th;

	if (!READ_ONCE(rp->running))
		return;
	th = rp_find(prev);
	if (th) {
		rp_switch_exit_left(th, prev);
		rp_switch_stop(th, prev, preempt, prev_state);
	}
	th = rp_find(next);
	if (th && th->exit_renumber) {
		th->exit_renumber = false;
		rp_switch_exit_numbered(next, false);
		WRITE_ONCE(th->exit_seq, rp_next_seq());
		atomic64_inc(&rp->st.exits_renumbered);
	}
	/* Unlocked peek: only the thread's own stop sets it and only its own
	 * resumption clears it, both ordered before this switch-in. */
	if (th && READ_ONCE(th->user_stop))
		rp_switch_resume(th, next, true);
}

static bool rp_follows_fork(struct task_struct *parent, struct task_struct *child)
{
	if (rp->pid)
		return child->tgid == rp->pid;
	if (rp->cfg.comm[0])
		return rp_matches(child);
	return rp_find(parent) != NULL;
}

static void rp_sched_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct rp_rec_task rec = { .event = RP_TASK_FORK };
	struct rp_thread *pth, *cth;

	if (!READ_ONCE(rp->running) || !rp_follows_fork(parent, child))
		return;
	/* parent == current. Under the pid and comm filters it matches too. */
	pth = rp_current();
	if (!pth)
		return;
	/* The child cannot run yet: it is traced from its first instruction. */
	cth = rp_thread_add(child, GFP_ATOMIC);
	if (!cth)
		return;
	cth->unborn = true;  /* until its return from this clone (rp_switch_rules.h) */
	rec.tid = task_pid_nr(child);
	rec.tgid = task_tgid_nr(child);
	rec.parent_tid = task_pid_nr(parent);
	/* A new process's copy of the memory is done: threads that ran user
	 * code meanwhile are numbered before it (common/fork_copy.h), at the
	 * copy's end if rp_copy_end saw it, else now. */
	rec.seq = pth->copy_seq;
	pth->copy_seq = 0;
	if (!rec.seq) {
		if (rp_switches() && task_tgid_nr(child) != task_tgid_nr(parent)) {
			rp_switch_flush();
			rp_switch_fork_copied(parent);
		}
		rec.seq = rp_next_seq();
	}
	rp_emit_task(pth, &rec);
}

/* The supervisor numbers the thread's exit event with seq (RP_IOC_TAKE):
 * its own number, taken when it reaps the thread, comes after threads the
 * exit woke (pthread_join) ran. Without memory it numbers it itself. */
static void rp_note_exit(pid_t tid, u64 seq)
{
	struct rp_exit *e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);

	if (!e)
		return;
	e->tid = tid;
	e->seq = seq;
	spin_lock(&rp_exits_lock);
	hash_add(rp_exits, &e->node, tid);
	spin_unlock(&rp_exits_lock);
}

static u64 rp_take_exit(pid_t tid)
{
	struct rp_exit *e, *found = NULL;
	u64 seq = 0;

	spin_lock(&rp_exits_lock);
	hash_for_each_possible(rp_exits, e, node, tid)
		if (e->tid == tid) {
			found = e;
			hash_del(&e->node);
			break;
		}
	spin_unlock(&rp_exits_lock);
	if (found) {
		seq = found->seq;
		kfree(found);
	}
	return seq;
}

static void rp_exits_clear(void)
{
	struct rp_exit *e;
	struct hlist_node *tmp;
	int bkt;

	spin_lock(&rp_exits_lock);
	hash_for_each_safe(rp_exits, bkt, tmp, e, node) {
		hash_del(&e->node);
		kfree(e);
	}
	spin_unlock(&rp_exits_lock);
}

static void rp_sched_exit(void *data, struct task_struct *p)
{
	struct rp_rec_task rec = { .event = RP_TASK_EXIT };
	struct rp_thread *th = rp_find(p);

	if (!th)
		return;
	if (rp_switches()) {
		if (!th->exit_seq)  /* this record's number is the exit's */
			rp_switch_exit_numbered(p, true);
		rp_switch_exit(p);
	}
	if (READ_ONCE(rp->running)) {
		rec.tid = task_pid_nr(p);
		rec.tgid = task_tgid_nr(p);
		rec.status = p->exit_code;
		rec.seq = rp_next_seq();
		/* Deferred work still runs: exit_task_work() comes later in do_exit. */
		rp_emit_task(th, &rec);
		if (rp_switches())
			rp_note_exit(rec.tid, th->exit_seq ? th->exit_seq : rec.seq);
	}
	rp_thread_remove(th);
}

static void rp_sched_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	struct rp_thread *th;

	if (!READ_ONCE(rp->running))
		return;
	th = rp_find(p);
	if (!th || !th->in_sys || th->exec_path_len || !th->exec_path)
		return;
	/* sys_enter could not read the path: its page was not present (common
	 * right after fork, which does not copy file-backed page tables). The
	 * kernel's copy is the string given, except where execveat made it
	 * /dev/fd/N/... from a directory fd. */
	if (rp_spec_str_arg(rp_spec(th->nr)) != 0 && !strncmp(bprm->filename, "/dev/fd/", 8))
		return;
	th->exec_path_len = strscpy(th->exec_path, bprm->filename, PATH_MAX) > 0
				    ? strlen(th->exec_path) : 0;
}

/* The traced thread whose tid is vtid in the caller's pid namespace, or
 * NULL. Under rcu_read_lock. */
static struct rp_thread *rp_find_vtid(pid_t vtid)
{
	struct task_struct *t = pid_task(find_vpid(vtid), PIDTYPE_PID);

	return t ? rp_find(t) : NULL;
}

/* RP_IOC_TAKE: what the module noted about thread vtid's current stop. */
int rp_take(pid_t vtid, u32 what, u64 *value)
{
	struct rp_thread *th;
	int err = 0;

	*value = 0;
	if (what == RP_TAKE_EXIT_SEQ) {
		/* Reaped or about to be: by its number (the records' tids). */
		*value = rp_take_exit(vtid);
		return *value ? 0 : -ESRCH;
	}
	rcu_read_lock();
	th = rp_find_vtid(vtid);
	if (!th)
		err = -ESRCH;
	else if (what == RP_TAKE_STOP_SEQ)
		*value = xchg(&th->stop_seq, 0);
	else if (what == RP_TAKE_ENTRY_SEQ)
		*value = xchg(&th->stop_entry_seq, 0);
	else if (what == RP_TAKE_REPIN)
		*value = xchg(&th->repin, 0);
	else if (what == RP_TAKE_FORGET)
		rp_thread_remove(th); /* its exit is then neither numbered nor noted */
	else
		err = -EINVAL;
	rcu_read_unlock();
	return err;
}

/* RP_IOC_TAKE_STOP_POINT: the number and memory digest of thread vtid's
 * signal stop, taken (seq 0: none). The thread is stopped: its stop_digest
 * was written before its stop_seq and does not change. */
int rp_take_stop_point(pid_t vtid, struct rp_stop_point *p)
{
	struct rp_thread *th;
	int err = 0;

	memset(p, 0, sizeof(*p));
	rcu_read_lock();
	th = rp_find_vtid(vtid);
	if (!th) {
		err = -ESRCH;
	} else {
		p->seq = xchg(&th->stop_seq, 0);
		p->has_digest = p->seq != 0;
		p->digest = th->stop_digest;
		p->flags = th->stop_flags;
	}
	rcu_read_unlock();
	return err;
}

/* RP_IOC_TAKE_STALLED: thread vtid's parked kernel-copy record, taken. */
int rp_take_stalled(pid_t vtid, struct rp_rec_syscall *rec)
{
	struct rp_thread *th;
	int err = -ENOENT;

	rcu_read_lock();
	th = rp_find_vtid(vtid);
	if (!th) {
		err = -ESRCH;
	} else if (smp_load_acquire(&th->stalled)) {
		*rec = th->stalled_rec;
		WRITE_ONCE(th->stalled, false);
		err = 0;
	}
	rcu_read_unlock();
	return err;
}

/* do_exit is about to clear the thread's tid and wake pthread_join: the
 * exact place of its exit among the recording's events. No tracepoint marks
 * it in 6.1 (sched_process_exit comes after the wakeup, where the joiner may
 * already have run); without this kprobe the exit record's number is used. */
static int rp_exit_mm_release(struct kprobe *kp, struct pt_regs *regs)
{
	struct rp_thread *th;

	if (!READ_ONCE(rp->running) || !rp_switches())
		return 0;
	th = rp_find(current);
	if (th) {
		rp_switch_exit_numbered(current, true);
		th->exit_seq = rp_next_seq();
	}
	return 0;
}

/* dup_mmap has copied the caller's memory for a new process and unlocked
 * it: the copy's place among the recording's events (common/fork_copy.h;
 * rp.bpf.c's copy_done says why here and not at sched_process_fork). A fork
 * that fails after it leaves the number unused. */
static int rp_copy_end(struct kprobe *kp, struct pt_regs *regs)
{
	struct rp_thread *th;

	if (!READ_ONCE(rp->running) || !rp_switches())
		return 0;
	th = rp_find(current);
	if (th)
		rp_switch_copy_end(th, current);
	return 0;
}

/* Registered when switches are recorded; a kernel without kprobes (or
 * without the function) gets the later numbering `fallback` names. */
struct rp_kp {
	struct kprobe kp;
	const char *symbol;
	kprobe_pre_handler_t handler;
	const char *fallback;
	bool on;
};

static struct rp_kp rp_kps[] = {
	{ .symbol = "exit_mm_release", .handler = rp_exit_mm_release,
	  .fallback = "exits numbered at sched_process_exit" },
	{ .symbol = "uprobe_end_dup_mmap", .handler = rp_copy_end,
	  .fallback = "fork copies numbered at sched_process_fork" },
};

static void rp_kprobes_start(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rp_kps); i++) {
		struct rp_kp *k = &rp_kps[i];

		/* A kprobe cannot be registered twice: a fresh one each time. */
		memset(&k->kp, 0, sizeof(k->kp));
		k->kp.symbol_name = k->symbol;
		k->kp.pre_handler = k->handler;
		k->on = register_kprobe(&k->kp) == 0;
		if (!k->on)
			pr_warn("rp: no kprobe on %s: %s\n", k->symbol, k->fallback);
	}
}

static void rp_kprobes_stop(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rp_kps); i++)
		if (rp_kps[i].on) {
			unregister_kprobe(&rp_kps[i].kp);
			rp_kps[i].on = false;
		}
}

/* ---- registration ---- */

struct rp_tp {
	const char *name;
	void *probe;
	u32 needs;          /* RP_KMOD_F_* without which it stays unregistered */
	struct tracepoint *tp;
	bool registered;
};

static struct rp_tp rp_tps[] = {
	{ "sys_enter", rp_sys_enter },
	{ "sys_exit", rp_sys_exit },
	{ "sched_process_fork", rp_sched_fork },
	{ "sched_process_exit", rp_sched_exit },
	{ "sched_process_exec", rp_sched_exec },
	/* Every context switch of the machine passes here: only when asked. */
	{ "sched_switch", rp_sched_switch, RP_KMOD_F_SWITCHES },
};

static void rp_lookup_tp(struct tracepoint *tp, void *priv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rp_tps); i++)
		if (!strcmp(tp->name, rp_tps[i].name))
			rp_tps[i].tp = tp;
}

static void rp_unregister(size_t n)
{
	while (n--) {
		if (rp_tps[n].registered)
			tracepoint_probe_unregister(rp_tps[n].tp, rp_tps[n].probe, NULL);
		rp_tps[n].registered = false;
	}
	/* No probe runs after this returns: the state they use may go. */
	tracepoint_synchronize_unregister();
}

static void rp_add_root_threads(void)
{
	struct task_struct *leader, *t;

	rcu_read_lock();
	leader = pid_task(find_pid_ns(rp->root_pid, &init_pid_ns), PIDTYPE_PID);
	if (leader)
		for_each_thread(leader, t)
			if (!rp_find(t))
				rp_thread_add(t, GFP_ATOMIC);
	rcu_read_unlock();
}

int rp_probes_start(void)
{
	size_t i;
	int err;

	for_each_kernel_tracepoint(rp_lookup_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(rp_tps); i++)
		if (!rp_tps[i].tp) {
			pr_err("rp: tracepoint %s not found\n", rp_tps[i].name);
			return -ENOENT;
		}
	if (rp->root_pid)
		rp_add_root_threads();
	for (i = 0; i < ARRAY_SIZE(rp_tps); i++) {
		if ((rp->cfg.flags & rp_tps[i].needs) != rp_tps[i].needs)
			continue;
		err = tracepoint_probe_register(rp_tps[i].tp, rp_tps[i].probe, NULL);
		if (err) {
			rp_unregister(i);
			rp_threads_clear();
			return err;
		}
		rp_tps[i].registered = true;
	}
	if (rp_switches())
		rp_kprobes_start();
	/* Only now: a sys_enter seen before its sys_exit probe exists would
	 * take a sequence number that no record carries. */
	WRITE_ONCE(rp->running, true);
	return 0;
}

void rp_probes_stop(void)
{
	WRITE_ONCE(rp->running, false);
	rp_kprobes_stop();
	rp_unregister(ARRAY_SIZE(rp_tps));
	rp_switch_reset();
	rp_threads_clear();
	rp_exits_clear();
}
