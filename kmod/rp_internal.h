/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared by the files of rp.ko. */
#ifndef RP_INTERNAL_H
#define RP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "rp_abi.h"

/* ---- ring (rp_ring.c) ---- */
struct rp_ring {
	void *area;                 /* vmalloc_user: header page + data */
	struct rp_kmod_ring_hdr *hdr;
	u8 *data;
	u64 size, mask;
	u64 head;                   /* reserved up to; under lock */
	u64 tail;                   /* consumed up to; under lock */
	u64 wake_bytes;
	spinlock_t lock;
	wait_queue_head_t readers;  /* the drainer in poll() */
	wait_queue_head_t writers;  /* threads waiting for space (slow path only) */
	atomic_t waiting;           /* how many writers wait */
	bool dead;                  /* the drainer is gone: give up waiting */
};

int rp_ring_init(struct rp_ring *r, u64 size, u64 wake_bytes);
void rp_ring_free(struct rp_ring *r);
/* Reserves len bytes (multiple of 8) that do not wrap; NULL if full. The
 * first 8 bytes get {len, type 0}: the consumer stops there until commit. */
void *rp_ring_reserve(struct rp_ring *r, u32 len);
/* Sleeps until len bytes fit (sleepable context only); NULL if the drainer went away. */
void *rp_ring_reserve_wait(struct rp_ring *r, u32 len);
/* Publishes the record at rec: type becomes visible after its contents. */
void rp_ring_commit(struct rp_ring *r, void *rec, u16 type, u16 flags, u32 size);
/* The same without waking the drainer: for the scheduler's own context (a
 * wakeup there would take a run-queue lock already held). The drainer's
 * poll timeout or the next commit collects the record. */
void rp_ring_commit_quiet(struct rp_ring *r, void *rec, u16 type, u16 flags, u32 size);
/* Wakes the drainer if the ring is worth reading (never under a lock the
 * scheduler's probes take: the wakeup takes a run-queue lock). */
void rp_ring_wake(struct rp_ring *r);
int rp_ring_consume(struct rp_ring *r, u64 new_tail);
bool rp_ring_readable(struct rp_ring *r);
void rp_ring_kill(struct rp_ring *r);

/* ---- counters ---- */
struct rp_stats {
	atomic64_t records, bytes, lost, stalls, copy_faults, deferred, enosys, killed, ring_full;
	atomic64_t inflight, threads, switches, exits_renumbered;
};

/* ---- per-thread state (rp_probe.c) ---- */
#define RP_MAX_PEND_TASK 2

struct rp_thread {
	struct hlist_node node;     /* rp_threads, keyed by task pointer */
	struct rcu_head rcu;
	refcount_t ref;             /* the table + a queued task_work */
	struct task_struct *task;   /* identity only; never dereferenced after exit */
	u64 tseq;
	bool in_sys;                /* saw sys_enter, waiting for sys_exit */
	bool returned;              /* came back from a syscall since tracing began */
	bool restarting;            /* last call returned a restart code (rp_switch_rules.h) */
	bool entering;              /* its seccomp stop came, not yet that call's sys_enter
				     * or sys_exit (rp_stop_enters_call) */
	bool exiting;               /* in exit or exit_group: never runs user code again */
	bool unborn;                /* made by a clone it has not returned from yet */
	bool work_queued;
	long nr;
	u64 args[6];
	struct rp_restart restart;  /* the last call restart_syscall may continue (rp_abi.h) */
	u64 entry_seq;
	u64 t_entry;                /* ktime_get_ns() at sys_enter: CLOCK_MONOTONIC */
	u64 copy_seq;               /* its fork's copy's number (rp_copy_end); 0: none */
	u32 entry_len[2];
	char *exec_path;            /* execve's path, read at entry (the mm changes) */
	u32 exec_path_len;
	/* Records that could not be completed in probe context, finished by
	 * rp_deferred_work() before the thread returns to user space. */
	struct callback_head work;
	int npend_task;
	struct rp_rec_task pend_task[RP_MAX_PEND_TASK];
	bool pend_sys_valid;
	struct rp_rec_syscall pend_sys;
	char *pend_exec_path;
	u32 pend_exec_path_len;
	/* Switch records (rp_switch.c). */
	bool user_stop;             /* off the CPU outside a syscall: resumes user code */
	u64 stop_seq;               /* sequence number of its signal stop (RP_IOC_TAKE) */
	struct rp_point_digest stop_digest; /* its memory digest then (RP_IOC_TAKE_STOP_POINT) */
	u32 stop_flags;             /* RP_STOP_F_* of that stop (rp_abi.h) */
	bool segv_blocked;          /* SIGSEGV blocked at its last syscall return */
	u64 stop_entry_seq;         /* number its entry stop took for the call's entry
				     * (rp_stop_numbers_entry); RP_TAKE_ENTRY_SEQ */
	u32 repin;                  /* 1: stopped after its sched_setaffinity (RP_IOC_TAKE) */
	u64 exit_seq;               /* number of its exit, taken in do_exit (kprobe) */
	bool exit_renumber;         /* left the CPU before its tid's clear (rp_exit_renumber) */
	/* A kernel copy into stdout/stderr, parked for rp's supervisor
	 * (RP_IOC_TAKE_STALLED): stalled is set after stalled_rec is written. */
	bool stalled;
	struct rp_rec_syscall stalled_rec;
};

/* ---- switch records (rp_switch.c) ---- */
/* Whether a traced task is a user thread that could be running user code
 * (io_uring workers are not). */
bool rp_switch_user_task(struct task_struct *t);
/* t will not run user code again (common/rp_switch_rules.h: rp_dying). */
bool rp_switch_dying(struct task_struct *t);
/* sched_switch's prev: th (task t) stops running, outside a syscall or not. */
void rp_switch_stop(struct rp_thread *th, struct task_struct *t, bool preempt,
		    unsigned int state);
/* sched_switch's prev: th (task t, exiting) may have numbered its exit
 * before its tid's clear; then it is numbered again at its switch-in. */
void rp_switch_exit_left(struct rp_thread *th, struct task_struct *t);
/* th's syscall returned ret (a restart code: it runs no user code before
 * its signal stop or the restart). */
void rp_switch_returned(struct rp_thread *th, long ret);
/* th (task t) resumes user code: switched_in by the scheduler after a stop
 * in user code (where the drainer must not be woken), else back from a
 * syscall (sys_exit). */
void rp_switch_resume(struct rp_thread *th, struct task_struct *t, bool switched_in);
/* t (current) enters a syscall: it ran user code up to there. */
void rp_switch_enter(struct task_struct *t);
void rp_switch_fork_copied(struct task_struct *t);
/* t (current, th's task) is at the end of a fork's copy of its memory, in
 * dup_mmap: the copy's number, after the switches before it (copy_seq). */
void rp_switch_copy_end(struct rp_thread *th, struct task_struct *t);
/* t's exit takes a number next: the stop of a thread that ran user code
 * while t was dying comes first (rp_runner_exit_numbered). `wake`: false in
 * the scheduler's hook. */
void rp_switch_exit_numbered(struct task_struct *t, bool wake);
/* t exits: its stop, if it ran last, is no switch to replay. */
void rp_switch_exit(struct task_struct *t);
/* Writes records that found the ring full earlier (probe context). */
void rp_switch_flush(void);
/* Recording stopped: forgets the last runner; backlog left is lost. */
void rp_switch_reset(void);

/* ---- capture (rp_capture.c) ---- */
struct rp_kspec;
void rp_table_init(void);
const struct rp_kspec *rp_spec(long nr);
int rp_spec_policy(const struct rp_kspec *s);
void rp_spec_entry_lens(const struct rp_kspec *s, const u64 *args, u32 len[2]);
int rp_spec_str_arg(const struct rp_kspec *s);
/* Fast path at sys_exit (atomic): emits rec and all its data as one span, or
 * returns false having emitted nothing visible. */
bool rp_emit_fast(struct rp_ring *r, struct rp_rec_syscall *rec, const struct rp_kspec *s,
		  u32 flags, const char *exec_path, u32 exec_path_len);
/* Slow path (sleepable, the thread's own context): faults pages in, waits for space. */
void rp_emit_slow(struct rp_ring *r, struct rp_rec_syscall *rec, const struct rp_kspec *s,
		  u32 flags, const char *exec_path, u32 exec_path_len);
/* Copies at most len bytes of a user string without faulting; -1 on failure. */
long rp_strncpy_nofault(char *dst, u64 addr, long len);

/* ---- module globals (rp_main.c) ---- */
struct rp_state {
	struct rp_ring ring;
	struct rp_stats st;
	struct rp_kmod_config cfg;
	struct rp_output_files outputs; /* RP_IOC_OUTPUTS; read by the sys_exit probe */
	atomic64_t seq;
	bool configured;
	bool running;               /* probes registered and accepting new records */
	pid_t root_pid, pid;        /* global pid numbers */
	pid_t self_tgid;            /* the opener: never traced */
	wait_queue_head_t idle;     /* inflight reached 0 */
};
extern struct rp_state *rp;

int rp_probes_start(void);
void rp_probes_stop(void);
void rp_threads_clear(void);
int rp_take(pid_t vtid, u32 what, u64 *value);
int rp_take_stalled(pid_t vtid, struct rp_rec_syscall *rec);
int rp_take_stop_point(pid_t vtid, struct rp_stop_point *p);

static inline u64 rp_next_seq(void)
{
	return atomic64_inc_return(&rp->seq);
}

#endif
