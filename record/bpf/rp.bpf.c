// SPDX-License-Identifier: GPL-2.0
/* rp's eBPF capture: every syscall of the traced processes, with the full
 * contents of the buffers the kernel wrote, as rp_rec_* records (rp_abi.h) in
 * one BPF ring buffer.
 *
 * sys_enter saves the arguments per thread (arm64 overwrites x0 with the
 * result) and takes entry_seq from the global counter; sys_exit takes seq from
 * the same counter, emits the data records of the syscall's buffers (the
 * regions are those of common/buffers.cc, from the same syscalls.def), then
 * the syscall record itself with ndata. User space bumps the same counter
 * (rp_seq, mmapped .bss) for what only ptrace sees, so all events sort in one
 * order.
 *
 * Nothing is dropped silently: when the ring has no room or a user page is
 * not present (probe context cannot fault), the syscall record goes to the
 * `stalls` map and the thread gets SIGSTOP; the ptrace supervisor sees the
 * stop, reads the buffers with process_vm_readv and resumes it. Data records
 * already emitted for that seq are then ignored by the decoder.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "rp_abi.h"
#include "rp_bpf.h"

/* rp_switch_rules.h and rp_rules.h (via rp_rules_bpf.h), inlined. */
#define RP_INLINE static __always_inline
#include "rp_switch_rules.h"
#include "rp_digest_rules.h"

char LICENSE[] SEC("license") = "GPL";

#define CHUNK RP_BPF_CHUNK
#define STR_MAX 4096
#define DATA_HDR sizeof(struct rp_rec_data)

#define E_NOSYS 38
#define SECCOMP_MODE_FILTER_ 2 /* linux/seccomp.h, not in vmlinux.h */

/* ---- configuration: set by the loader before the program is loaded ---- */
const volatile __u32 cfg_by_comm = 0;    /* 1: trace tasks whose comm is cfg_comm */
const volatile char cfg_comm[16] = {};
const volatile __u32 cfg_stall = 1;      /* 0: no ptrace supervisor, never stop threads */
const volatile __u64 cfg_wake_bytes = 1; /* wake the drainer at this much pending data */
/* Records that have another way out (a stall, or a syscall record marked
 * incomplete) leave the ring's last bytes to those that have none: thread
 * switches, in a ring kept full while the drainer waits for a CPU. */
const volatile __u64 cfg_fill_limit = -1;
/* 1: the recording runs on one CPU (record/cpu_pin.h): emit RP_REC_SWITCH
 * records and stop a thread whose sched_setaffinity succeeded, so that the
 * supervisor pins it back. Replayable recordings only (needs the supervisor). */
const volatile __u32 cfg_one_cpu = 0;

/* The global sequence number. In .bss, which user space mmaps and increments
 * atomically too (signals, exits): one order for kernel and ptrace events. */
__u64 rp_seq __attribute__((aligned(64))) = 0;

/* The recorded program's stdout and stderr when recording began (inode, and
 * device as the kernel numbers it; 0: none), set by user space through the
 * mmapped .bss: a kernel-copy call into one of them is handed to user space,
 * which reads back the bytes it sent (common/kernel_copy.h). */
struct rp_output_files rp_outputs = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* the loader sets the real size */
} ring SEC(".maps");

/* Traced processes: bit t set if tgid t is traced (rp_bpf.h). Every program
 * asks it first, for every task on the machine: a load and a test, where a
 * hash map cost a helper call, a hash and a bucket walk. User space sets the
 * first process's bit (trace_tgid), sched_process_fork its children's before
 * they run, sched_process_exit clears a process's bit when its last thread
 * exits, before its pid can be freed and reused. In .bss (the libbpf of
 * Debian 12 has no .bss.* sections of their own), cache-line aligned as
 * rp_seq is: rp_seq is written by every traced event, these words are read by
 * every task and written at fork and exit only. */
__u64 rp_tgid_bits[RP_TGID_WORDS] __attribute__((aligned(64)));

/* execve's path, copied at entry: at exit the old mm is gone. By tid. */
struct exec_path {
	__u64 addr;
	__u32 len;
	__u16 arg;
	__u16 unread; /* the read at entry failed: the path is unknown, not empty */
	char buf[STR_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct exec_path);
} exec_paths SEC(".maps");

/* A zeroed exec_path to insert (too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_path);
} exec_zero SEC(".maps");

/* Per-thread state between sys_enter and sys_exit; freed with the task. */
struct thread {
	__u64 args[6];
	__s64 nr;
	__u64 entry_seq;
	__u64 t_entry; /* bpf_ktime_get_ns() at sys_enter: CLOCK_MONOTONIC */
	__u64 tseq;
	__u32 entry_len[2];
	__u32 active;
	__u32 user_stop; /* off the CPU outside a syscall: resumes in user code */
	/* It came back from a syscall since tracing began: a later sys_exit
	 * without its sys_enter is a call a seccomp filter answered. */
	__u32 returned;
	/* In exit or exit_group (recorded at sys_enter, no longer active): it
	 * never runs user code again, though PF_EXITING comes only later, after
	 * the PTRACE_EVENT_EXIT stop. */
	__u32 exiting;
	/* Its last call returned a restart code; cleared by its next entry or
	 * signal stop (rp_restart_code). */
	__u32 restarting;
	/* The last call restart_syscall may continue (rp_abi.h). */
	struct rp_restart restart;
	/* Its seccomp stop came and that call's sys_enter or sys_exit has
	 * not (rp_stop_enters_call). */
	__u32 entering;
	/* The number that entry stop took for the call's entry
	 * (rp_stop_numbers_entry; also in entry_stops); 0: none. */
	__u64 stop_entry_seq;
	/* Made by a clone it has not returned from yet (rp_switch_rules.h). */
	__u32 unborn;
	/* It left the CPU between its exit's number and its tid's clear
	 * (rp_exit_renumber): numbered again when it is back. */
	__u32 exit_renumber;
	/* The number its fork's copy of the memory took at the copy's end
	 * (copy_done), for the fork record; 0: none in this call. */
	__u64 copy_seq;
	/* SIGSEGV was blocked at its last syscall return (rp_stop_facts). */
	__u32 segv_blocked;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread);
} threads SEC(".maps");

/* Syscall records user space must complete, by tid (the thread is stopped). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct rp_rec_syscall);
} stalls SEC(".maps");

/* Where each thread's exit falls in the global order, by tid: see
 * number_exit. Preallocated: the kprobe program uses it too. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct rp_bpf_exit);
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_bpf_counters);
} counters SEC(".maps");

/* The last recorded thread that ran user code (common/rp_switch_rules.h):
 * the RP_REC_SWITCH to emit if another recorded thread runs user code next.
 * One for the recording: all its threads run on one CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_runner);
} last_runner SEC(".maps");

/* Where a window of a switch point's digest is read (rp_digest_rules.h). */
struct digest_window {
	__u64 w[RP_DIGEST_WINDOW / 8];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct digest_window);
} digest_buf SEC(".maps");

/* A thread entering a ptrace stop (a signal) in user code, by tid: the
 * number its signal event gets and its memory digest, taken before any other
 * thread runs. The supervisor records the event with them (take_stop). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct rp_stop_point);
} stops SEC(".maps");

/* A thread at a syscall's entry stop, by tid: the number its entry took
 * there (rp_stop_numbers_entry), for the supervisor when it answers the call
 * itself (take_entry_stop); sys_enter takes it otherwise. LRU: a thread
 * killed at the stop leaves its entry behind. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} entry_stops SEC(".maps");

/* Where a stops value is built (too large for the stack with the rest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_stop_point);
} stop_scratch SEC(".maps");

/* Threads stopped because their sched_setaffinity succeeded: the supervisor
 * pins the recording back on its CPU at that stop. By tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} repins SEC(".maps");

/* ---- helpers ---- */
/* A ring record of SIZE bytes (a constant) for a record that can go
 * elsewhere when there is no room: none past cfg_fill_limit. */
#define RESERVE_YIELDING(SIZE)                                                            \
	(bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + (SIZE) > cfg_fill_limit ? 0          \
		: bpf_ringbuf_reserve(&ring, (SIZE), 0))

static __always_inline struct rp_bpf_counters *cnt(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}
#define COUNT(field, n)                               \
	do {                                          \
		struct rp_bpf_counters *c_ = cnt();   \
		if (c_)                               \
			c_->field += (n);             \
	} while (0)

static __always_inline __u64 next_seq(void)
{
	return __sync_fetch_and_add(&rp_seq, 1) + 1;
}

/* Tgid t's word of the traced set. clang merges range checks of two tgids
 * into one of (a | b), which the verifier cannot follow, and then drops the
 * index's mask as redundant: barrier_var hides t's range from clang, so the
 * mask stays and bounds the index for the verifier. */
static __always_inline __u64 *tgid_word(__u32 t)
{
	barrier_var(t);
	return &rp_tgid_bits[RP_TGID_WORD(t)];
}

static __always_inline bool tgid_traced(__u32 tgid)
{
	if (tgid >= RP_TGID_LIMIT) /* above any pid_max: never handed out */
		return false;
	return *tgid_word(tgid) & RP_TGID_MASK(tgid);
}

static __always_inline bool traced(void)
{
	if (cfg_by_comm) {
		char c[16] = {};
		bpf_get_current_comm(c, sizeof(c));
		for (int i = 0; i < 16; i++) {
			if (c[i] != cfg_comm[i])
				return false;
			if (!c[i])
				break;
		}
		return true;
	}
	return tgid_traced(bpf_get_current_pid_tgid() >> 32);
}

/* tp_btf hands over trusted pointers: plain loads, no probe-read helper. */
static __always_inline __u64 reg_arg(struct pt_regs *regs, int i)
{
#if defined(__TARGET_ARCH_arm64)
	switch (i) {
	case 0: return regs->orig_x0;
	case 1: return regs->regs[1];
	case 2: return regs->regs[2];
	case 3: return regs->regs[3];
	case 4: return regs->regs[4];
	default: return regs->regs[5];
	}
#else
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
#endif
}

static __always_inline __s64 reg_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
	return regs->orig_ax;
#endif
}

/* ---- thread switches in user code (RP_REC_SWITCH, rp_abi.h) ---- */
/* The rules are common/rp_switch_rules.h's; this is their storage (the
 * last_runner map, the threads' user_stop, the stops map) and the facts the
 * scheduler gives them. */
static __always_inline struct rp_runner *runner(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&last_runner, &zero);
}

static __always_inline bool traced_task(struct task_struct *t)
{
	return tgid_traced(t->tgid);
}

/* A thread whose sched_setaffinity succeeded, until rp's supervisor has
 * pinned it back (its tid leaves `repins` at that stop): it may run kernel
 * code on another CPU while the recording's CPU runs the other threads
 * (RP_STOP_AWAY). Its writes to last_runner then (unlocked) raced with
 * theirs: a switch record with torn, even all-zero, registers that no
 * replay can reach (bpf.threads' escape case, 1 recording in 40). */
static __always_inline bool moving(__u32 tid)
{
	return bpf_map_lookup_elem(&repins, &tid) != 0;
}

/* The user registers of a task that is off the CPU or about to be, as
 * PTRACE_GETREGS (x86_64 user_regs_struct) or NT_PRSTATUS (arm64
 * user_pt_regs) gives them: both are a prefix of struct pt_regs, x86_64 adds
 * the FS/GS bases and the segment selectors kept in the task. */
static __always_inline void save_user_regs(struct rp_runner *r, struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	__builtin_memset(r->regs, 0, sizeof(r->regs));
#if defined(__TARGET_ARCH_arm64)
	bpf_probe_read_kernel(r->regs, 34 * 8, regs);
#else
	bpf_probe_read_kernel(r->regs, 21 * 8, regs);
	r->regs[21] = t->thread.fsbase;
	r->regs[22] = t->thread.gsbase;
	r->regs[23] = t->thread.ds;
	r->regs[24] = t->thread.es;
	r->regs[25] = t->thread.fsindex;
	r->regs[26] = t->thread.gsindex;
#endif
}

/* One register's window of the runner's pending point (rp_digest_rules.h),
 * read from the current task's memory: prev, in sched_switch. A bpf_loop
 * callback: the verifier walks it once. Unrolled over every register, at
 * both call sites, the loop made sched_switch cost it 46,329 processed
 * instructions (7,617 now; tests/bpf/verifier_cost), paid at every start. */
static long digest_register(__u64 i, void *unused)
{
	__u32 zero = 0;
	struct digest_window *b = bpf_map_lookup_elem(&digest_buf, &zero);
	struct rp_runner *r = runner();
	__u64 start = 0;

	(void)unused;
	if (!b || !r || i >= RP_DIGEST_REGS)
		return 1;
	__u32 len = rp_digest_register_window(r->regs, RP_SWITCH_REGS, (__u32)i, &start);

	/* the verifier's bounds on the read's size */
	if (len < 8 || len > RP_DIGEST_WINDOW)
		return 0;
	if (bpf_probe_read_user(b->w, len, (const void *)start))
		return 0;  /* not resident: left out, as replay is told */
	r->digest.sum[i] = rp_digest_words(b->w, len / 8);
	r->digest.mask |= 1u << i;
	return 0;
}

/* The digest of the memory the runner's saved registers point to. */
static __always_inline void save_point_digest(struct rp_runner *r)
{
	r->digest.mask = 0;
	r->digest.narrow = 0;
	bpf_loop(RP_DIGEST_REGS, digest_register, 0, 0);
}

/* The rules' sink: r's pending stop as a record. */
static __always_inline void rp_switch_emit(struct rp_runner *r)
{
	struct rp_rec_switch *s = bpf_ringbuf_reserve(&ring, sizeof(*s), 0);

	r->pending = 0;
	if (!s) {
		COUNT(lost, 1);
		return;
	}
	s->h.size = sizeof(*s);
	s->h.type = RP_REC_SWITCH;
	s->h.flags = 0;
	s->tid = r->tid;
	s->tgid = r->tgid;
	s->seq = next_seq();
	__builtin_memcpy(s->regs, r->regs, sizeof(s->regs));
	__builtin_memcpy(&s->digest, &r->digest, sizeof(s->digest));
	s->t_ns = r->t_ns;
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	struct rp_bpf_counters *c = cnt();
	if (c) {
		c->records++;
		c->bytes += sizeof(*s);
		c->switches++;
	}
}

/* Plain loads through the task's trusted pointer, not probe-read helper calls:
 * sys_exit asks this for every traced syscall. */
static __always_inline bool dying(struct task_struct *t)
{
	return rp_dying(t->flags, t->pending.signal.sig[0], t->signal->flags, t->seccomp.mode);
}

/* prev leaves the CPU: where it stopped, by the rules. */
static __always_inline void on_stop(struct task_struct *prev, bool preempt, unsigned int state)
{
	struct thread *th = bpf_task_storage_get(&threads, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct rp_runner *r = runner();

	if (!th || !r)
		return;
	struct kernel_siginfo *si = BPF_CORE_READ(prev, last_siginfo);
	struct rp_stop_facts f = {
		.tid = prev->pid,
		.tgid = prev->tgid,
		.in_sys = th->active,
		.dying = th->exiting || dying(prev),
		.preempt = preempt,
		.state = state,
		.siginfo = si != 0,
		.si_signo = si ? BPF_CORE_READ(si, si_signo) : 0,
		.si_code = si ? BPF_CORE_READ(si, si_code) : 0,
		.ptrace_message = prev->ptrace_message,
		.moving = moving(prev->pid),
		.restarting = th->restarting,
		.entering = th->entering,
		.unborn = th->unborn,
		.segv_blocked = th->segv_blocked,
	};
	enum rp_stop_kind kind = rp_stop_classify(&f);

	if (kind == RP_STOP_NONE)
		return;
	const bool numbers_entry = rp_stop_numbers_entry(&f, kind);
	if (rp_stop_enters_call(&f, kind))
		th->entering = 1;
	th->user_stop = 1;
	if (kind == RP_STOP_AWAY)
		return;
	rp_runner_stopped(r, f.tid, f.tgid, kind);
	if (numbers_entry) {  /* after the switch rp_runner_stopped wrote */
		__u32 tid = f.tid;
		th->stop_entry_seq = next_seq();
		bpf_map_update_elem(&entry_stops, &tid, &th->stop_entry_seq, BPF_ANY);
	}
	if (kind == RP_STOP_USER) {
		save_user_regs(r, prev);
		save_point_digest(r);
		r->t_ns = bpf_ktime_get_ns();
	} else if (kind == RP_STOP_SIGNAL) {
		th->restarting = 0; /* a handler or the restart comes next */
		/* The supervisor records the signal event with it (take_stop):
		 * taken before any other thread runs. The runner's registers
		 * are free (rp_runner_stopped left nothing pending). */
		__u32 tid = prev->pid;
		struct rp_stop_point *sp = bpf_map_lookup_elem(&stop_scratch, &(__u32){0});
		if (!sp)
			return;
		save_user_regs(r, prev);
		save_point_digest(r);
		sp->seq = next_seq();
		sp->has_digest = 1;
		sp->flags = rp_signal_stop_flags(&f);
		__builtin_memcpy(&sp->digest, &r->digest, sizeof(sp->digest));
		bpf_map_update_elem(&stops, &tid, sp, BPF_ANY);
	}
}

/* t (current) leaves the CPU exiting: whether its exit, numbered, is to be
 * numbered again (rp_exit_renumber). */
static __always_inline void note_exit_left(struct task_struct *t)
{
	if (!(t->flags & RP_PF_EXITING))
		return;
	__u32 tid = t->pid;
	struct rp_bpf_exit *e = bpf_map_lookup_elem(&exits, &tid);
	struct thread *th = bpf_task_storage_get(&threads, t, 0, 0);
	if (!e || e->task != (__u64)t || !th)
		return;
	__u64 addr = (__u64)t->clear_child_tid;
	__u32 word = 0;
	bool read = addr && bpf_probe_read_user(&word, sizeof(word), (void *)addr) == 0;
	th->exit_renumber = rp_exit_renumber(addr, read, word);
}

/* t is back on the CPU after note_exit_left said so: its exit's new number,
 * after the stop of a thread that ran meanwhile (rp_runner_exit_numbered). */
static __always_inline void renumber_exit(struct task_struct *t, struct rp_runner *r)
{
	__u32 tid = t->pid;
	struct rp_bpf_exit *e = bpf_map_lookup_elem(&exits, &tid);
	if (!e || e->task != (__u64)t)
		return;
	if (r)
		rp_runner_exit_numbered(r, tid, t->tgid);
	e->seq = next_seq();
}

SEC("tp_btf/sched_switch")
int BPF_PROG(rp_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	if (!cfg_one_cpu)
		return 0;
	if (traced_task(prev)) {
		note_exit_left(prev);
		on_stop(prev, preempt, prev_state);
	}
	if (traced_task(next)) {
		struct thread *th = bpf_task_storage_get(&threads, next, 0, 0);
		struct rp_runner *r = runner();
		if (th && th->exit_renumber) {
			th->exit_renumber = 0;
			renumber_exit(next, r);
		}
		if (th && th->user_stop && r && !moving(next->pid)) {
			th->user_stop = 0;
			rp_note_runner(r, next->pid, next->tgid);
		}
	}
	return 0;
}

/* ---- emitting one syscall: the buffer rules and the copying ---- */
/* The syscall record being built. On the BPF stack it made the deepest call
 * chain (sys_exit, the rules' walkers, put_region, chunk_cb) too deep
 * for 6.1's verifier, which allows 512 bytes for all frames together, each
 * rounded up to 32 ("combined stack size of 7 calls is 544. Too large").
 * One slot per program and CPU: a tracepoint program runs to its end with
 * preemption off (syscall tracepoints, faultable since 6.14, still disable it
 * around BPF probes), and the kernel's per-CPU recursion guard (prog->active)
 * does not start the same program again there before it ends. */
enum { SLOT_SYS_ENTER, SLOT_SYS_EXIT, NSLOTS };

/* Data records of up to PACK_ROOM bytes in all are packed after the syscall
 * record and leave with it as one ring record (rp_abi.h): one reserve and
 * submit per syscall instead of one per buffer, each a locked update of the
 * ring. Larger ones get ring records of their own. The area is twice the room
 * so that the verifier sees every write at a bounded offset (used <= room)
 * of bounded length (<= room) inside it. */
#define PACK_ROOM 8192

#include "rp_rules_bpf.h" /* struct emit */

/* file_end (rp_rules_bpf.h): the kmod's rp_file_end, by bpf_find_vma. A
 * grown mremap's new bytes are recorded up to it; anonymous memory needs
 * nothing, so a growing realloc costs no stop (handing each to user space,
 * which finds the end itself, cost ~55 us). */
struct file_end_ctx {
	__u64 end;
};

static long file_end_of_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct file_end_ctx *c = data;
	struct file *f = vma->vm_file;

	(void)task;
	c->end = f ? rp_file_map_end(vma->vm_start, vma->vm_end, vma->vm_pgoff,
				     BPF_CORE_READ(f, f_inode, i_size), 12)
		   : 0;
	return 0;
}

static __u64 file_end(__u64 addr)
{
	struct file_end_ctx c = {0};

	/* -ENOENT (no mapping there) leaves 0; -EBUSY (mmap_lock contended)
	 * takes the whole range: past a file's end the copy faults, and user
	 * space, which finds the end itself, completes the call. */
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, file_end_of_vma, &c, 0) == -16)
		return ~0ull;
	return c.end;
}

struct emit_slot {
	struct emit e; /* e.rec last: the packed data records follow it */
	__u8 data[2 * PACK_ROOM + DATA_HDR];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NSLOTS);
	__type(key, __u32);
	__type(value, struct emit_slot);
} emit_slots SEC(".maps");

static __always_inline struct emit_slot *slot_of(__u32 slot)
{
	return bpf_map_lookup_elem(&emit_slots, &slot);
}

static __always_inline struct emit *emit_slot(__u32 slot)
{
	struct emit_slot *s = slot_of(slot);

	return s ? &s->e : 0;
}

#include "rp_regions.bpf.h"

/* The syscall record with the data records packed after it, as one ring
 * record; false if the ring has no room for it. One query of the ring's fill
 * serves both the room left for records without a way out (cfg_fill_limit)
 * and the drainer's wake-up threshold. */
/* The producer's position at the latest forced wake-up (wake_flag). Shared by
 * every CPU without a lock: a race costs one more wake-up, never one less. */
__u64 rp_woken_at __attribute__((aligned(64))) = 0;

/* Wake the drainer once this much is pending (cfg_wake_bytes), not per
 * record: and once per that much produced while it is behind. Each forced
 * wake-up is an irq_work, a self-IPI (an APIC write, a hypercall in a VM):
 * waking at every record while the drainer catches up cost nginx with
 * 100 KiB responses 6 % of its time in them (docs/performance.md). A
 * sleeping drainer has consumed past rp_woken_at, so pending >= cfg_wake_bytes
 * implies the producer moved that far since: no wake-up is lost. */
static __always_inline __u64 wake_flag(__u64 pending)
{
	if (pending < cfg_wake_bytes)
		return BPF_RB_NO_WAKEUP;
	__u64 prod = bpf_ringbuf_query(&ring, BPF_RB_PROD_POS);
	if (prod - rp_woken_at < cfg_wake_bytes)
		return BPF_RB_NO_WAKEUP;
	rp_woken_at = prod;
	COUNT(wakeups, 1);
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void count_out(__u64 records, __u64 bytes)
{
	struct rp_bpf_counters *c = cnt();

	if (c) {
		c->records += records;
		c->bytes += bytes;
	}
}

static __always_inline bool output_packed(struct emit *e)
{
	struct emit_slot *sl = slot_of(e->k.slot); /* e is sl->e */
	__u32 packed = e->k.packed;

	if (!sl)
		return false;
	barrier_var(packed);
	if (packed > PACK_ROOM)
		return false;
	__u64 size = sizeof(e->rec) + packed;
	__u64 pending = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + size;
	if (pending > cfg_fill_limit)
		return false;
	e->rec.h.size = size;
	e->rec.ndata = e->k.ndata;
	return bpf_ringbuf_output(&ring, &sl->e.rec, size, wake_flag(pending)) == 0;
}

/* Writes the syscall record (after its unpacked data), or hands it to user
 * space. */
static __always_inline void finish(struct emit *e, __u32 tid)
{
	if (!e->k.fail) {
		if (output_packed(e)) {
			count_out(e->k.ndata + 1, e->rec.h.size);
			return;
		}
		e->k.fail |= FAIL_RING;
	}
	if (e->k.fail & FAIL_RING)
		COUNT(ring_full, 1);
	if (e->k.fail & FAIL_COPY)
		COUNT(copy_faults, 1);
	if (e->k.fail & FAIL_USER)
		COUNT(user_assist, 1);
	e->rec.h.size = sizeof(e->rec);
	e->rec.h.flags |= RP_SYSF_DATA_MISSING;
	e->rec.ndata = 0;
	if (cfg_stall) {
		/* The supervisor completes it while the thread is stopped. */
		if (bpf_map_update_elem(&stalls, &tid, &e->rec, BPF_ANY) == 0) {
			bpf_send_signal_thread(RP_SIG_STOP);
			COUNT(stalls, 1);
		} else {
			COUNT(lost, 1);
		}
		return;
	}
	/* Nobody can stop the thread: keep the record, marked incomplete, with
	 * the data records already in the ring (the packed ones are not). */
	struct rp_rec_syscall *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		COUNT(lost, 1);
		return;
	}
	e->rec.ndata = e->k.ndata - e->k.npacked;
	__builtin_memcpy(r, &e->rec, sizeof(*r));
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	COUNT(records, e->rec.ndata + 1);
}

static __always_inline void init_rec(struct emit *e, __u32 slot, __u64 pid_tgid, __s64 nr)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->k.slot = slot;
	e->rec.h.size = sizeof(e->rec);
	e->rec.h.type = RP_REC_SYSCALL;
	e->rec.tid = (__u32)pid_tgid;
	e->rec.tgid = pid_tgid >> 32;
	e->rec.nr = nr;
	e->rec.t_exit = bpf_ktime_get_ns();
}

/* The path argument of execve/execveat, for the record at exit. */
static __noinline void save_exec_path(struct thread *th, const struct bspec *s)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_path *z = bpf_map_lookup_elem(&exec_zero, &zero), *x;
	int arg = s->smask & 1 ? 0 : 1;

	if (!th || !z || bpf_map_update_elem(&exec_paths, &tid, z, BPF_ANY))
		return;
	x = bpf_map_lookup_elem(&exec_paths, &tid);
	if (!x)
		return;
	x->arg = arg;
	x->addr = th->args[arg & 1];
	long n = x->addr ? bpf_probe_read_user_str(x->buf, STR_MAX, (void *)x->addr) : 0;
	x->len = n > 0 ? n - 1 : 0;
	/* Not present (no page faults here) is not an empty path: send none;
	 * user space takes the name from the new program's AT_EXECFN. */
	x->unread = n < 0;
}

/* execve's path from entry, as the string record of its argument. */
static __noinline void put_exec_path(struct emit *e)
{
	__u32 tid;
	struct exec_path *x;

	if (!e)
		return;
	tid = e->rec.tid;
	x = bpf_map_lookup_elem(&exec_paths, &tid);
	if (!x || x->unread)
		return;
	struct rp_rec_data *d = RESERVE_YIELDING(DATA_HDR + STR_MAX);
	if (!d) {
		e->k.fail |= FAIL_RING;
	} else {
		__u32 len = x->len;
		barrier_var(len);
		if (len >= STR_MAX)
			len = STR_MAX - 1;
		bpf_probe_read_kernel(d + 1, len, x->buf);
		d->h.size = (DATA_HDR + len + 7) & ~7u;
		d->h.type = RP_REC_DATA;
		d->h.flags = RP_DATAF_INPUT;
		d->len = len;
		d->out_index = RP_DATA_INDEX(RP_DATA_IDX_STR(x->arg), e->k.ndata);
		d->seq = e->rec.seq;
		d->addr = x->addr;
		bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);
		e->k.ndata++;
	}
	bpf_map_delete_elem(&exec_paths, &tid);
}

/* Stops the thread before it returns to user space; the supervisor pins it
 * (and every thread of the recording) back on the recording's CPU. */
static __always_inline void repin(__u32 tid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&repins, &tid, &one, BPF_ANY) == 0)
		bpf_send_signal_thread(RP_SIG_STOP);
	else
		COUNT(lost, 1);
}

/* A negative number at entry is either the program's own (syscall(-1),
 * which the kernel fails with ENOSYS: a call like any other) or a call the
 * ptrace supervisor skipped at its syscall-entry stop (the program's own
 * ptrace, emulated), which it records itself. Only a thread that runs with
 * syscall-entry stops (PTRACE_SYSCALL; kernel backends resume the others
 * with PTRACE_CONT) can be at such a stop, and the supervisor records every
 * -1 there, the program's own too (emulation_entry). */
static __always_inline bool skipped_at_entry_stop(struct task_struct *task)
{
#if defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(task, thread_info.flags) & (1ul << 8 /* TIF_SYSCALL_TRACE */);
#else
	return BPF_CORE_READ(task, thread_info.syscall_work) &
	       (1ul << bpf_core_enum_value(enum syscall_work_bit, SYSCALL_WORK_BIT_SYSCALL_TRACE));
#endif
}

/* The call left its entry stop: the number that stop took is used. */
static __always_inline void forget_entry_stop(struct thread *th, __u32 tid)
{
	if (!th->stop_entry_seq)
		return;
	th->stop_entry_seq = 0;
	bpf_map_delete_elem(&entry_stops, &tid);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(rp_sys_enter, struct pt_regs *regs, long id)
{
	if (!traced())
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (id < 0 && skipped_at_entry_stop(task))
		return 0;
	struct thread *th = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!th) {
		COUNT(lost, 1);
		return 0;
	}
	th->nr = id;
	for (int i = 0; i < 6; i++)
		th->args[i] = reg_arg(regs, i);
	if (id == RP_NR_RESTART_SYSCALL)
		rp_restart_args(&th->restart, th->args);
	/* It ran user code up to here: a switch from the last runner comes
	 * before its entry. */
	struct rp_runner *r = cfg_one_cpu ? runner() : 0;
	if (r)
		rp_runner_sys_enter(r, task->pid, task->tgid);
	th->entry_seq = th->stop_entry_seq ? th->stop_entry_seq : next_seq();
	forget_entry_stop(th, task->pid);
	th->t_entry = bpf_ktime_get_ns();
	th->copy_seq = 0;
	th->active = 1;
	th->restarting = 0;
	th->entering = 0;
	const struct bspec *s = spec_of(id);
	if (!s)
		return 0;
	save_entry_lens(s, th->args, th->entry_len);
	if (s->policy == RP_POLICY_EXECVE)
		save_exec_path(th, s);
	if (s->policy == RP_POLICY_EXIT) {
		/* exit and exit_group never return: record them now. A
		 * preemption on the way to PF_EXITING is no stop in user code
		 * (arm64 6.1 recorded such a switch after the thread's exit,
		 * which replay could not reach). */
		th->exiting = 1;
		struct emit *e = emit_slot(SLOT_SYS_ENTER);
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		if (!e) {
			COUNT(lost, 1);
			return 0;
		}
		init_rec(e, SLOT_SYS_ENTER, pid_tgid, id);
		__builtin_memcpy(e->rec.args, th->args, sizeof(e->rec.args));
		e->rec.entry_seq = th->entry_seq;
		e->rec.t_entry = th->t_entry;
		e->rec.seq = e->k.seq = next_seq();
		e->rec.tseq = ++th->tseq;
		e->rec.h.flags = RP_SYSF_NO_EXIT;
		th->active = 0;
		finish(e, (__u32)pid_tgid);
	}
	return 0;
}

/* sys_exit without sys_enter: was the call answered by a seccomp filter
 * (RET_ERRNO, RET_TRAP, RET_USER_NOTIF...)? The kernel runs the filters
 * before the sys_enter tracepoint, and a call they answer skips it but
 * still reaches sys_exit, with the filter's answer in ax (for RET_TRAP, ax
 * rolled back to the number) and the number in orig_ax. rp's own filter
 * refuses its ENOSYS calls so. Any thread's other entry-less sys_exits come
 * before it first returned from a syscall while traced: a new thread's return
 * from clone, tracing that began inside a call. */
static __always_inline bool answered_by_seccomp(struct task_struct *task, struct thread *th,
						const struct bspec *s, __s64 nr, long ret)
{
	if (s && s->policy == RP_POLICY_ENOSYS && ret == -E_NOSYS)
		return true; /* refused by rp's filter: it never runs, whoever asks */
	return nr >= 0 && th && th->returned && task->seccomp.mode == SECCOMP_MODE_FILTER_;
}

/* A successful kernel-copy call whose output fd is the program's stdout or
 * stderr (the file, not the fd number: as the recorder's rule). */
static __always_inline bool copies_to_output(struct task_struct *task, __s64 nr, long ret,
					     const __u64 *args)
{
	int arg = rp_copy_to_check(nr, ret);

	if (arg < 0 || (!rp_outputs.ino[0] && !rp_outputs.ino[1]))
		return false;
	/* The argument the rule names: tee's output is its second. */
	__u64 fd = arg == 0 ? args[0] : arg == 1 ? args[1] : args[2];
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return false;
	__u64 ino = BPF_CORE_READ(f, f_inode, i_ino);
	__u32 dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	return rp_is_output_file(&rp_outputs, ino, dev);
}

/* What user space reads itself (FAIL_USER) for a call that returned. */
static __always_inline bool user_reads(struct task_struct *task, const struct bspec *s, __s64 nr,
				       long ret, const __u64 *args)
{
	/* Bytes sent to stdout from a file: user space reads them back. */
	return copies_to_output(task, nr, ret, args) ||
	       /* Its pages are not present yet: user space reads them. */
	       rp_is_file_mmap(s->policy, ret, args) ||
	       /* shmat: user space keeps the segment's bytes (common/shm_segment.h). */
	       (nr == NR_OF(30, 196) && !rp_is_error(ret));
}

/* The call has nothing but its record: nothing in its table entry to copy,
 * nothing user space reads (the work of rp_sys_exit's `if (s)` block). */
static __always_inline bool record_only(struct task_struct *task, const struct bspec *s, __s64 nr,
					long ret, const __u64 *args)
{
	return !s || (spec_record_only(s) && !user_reads(task, s, nr, ret, args));
}

/* A call seen at entry that has nothing but its record (most calls) is built
 * in place in its ring record: no emit slot to clear, fill and copy. The same
 * record as the general path's; false: that path takes the call (and, if
 * the ring has no room, the stall). */
static __always_inline bool put_plain(struct task_struct *task, struct thread *th,
				      const struct bspec *s, long ret, bool killed)
{
	if (!record_only(task, s, th->nr, ret, th->args))
		return false;
	__u64 pending = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + sizeof(struct rp_rec_syscall);
	if (pending > cfg_fill_limit)
		return false;
	struct rp_rec_syscall *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r)
		return false;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	r->h.size = sizeof(*r);
	r->h.type = RP_REC_SYSCALL;
	r->h.flags = killed ? RP_SYSF_KILLED : 0;
	r->tid = (__u32)pid_tgid;
	r->tgid = pid_tgid >> 32;
	r->nr = th->nr;
	__builtin_memcpy(r->args, th->args, sizeof(r->args));
	r->ret = ret;
	r->ndata = 0;
	r->entry_len[0] = th->entry_len[0];
	r->entry_len[1] = th->entry_len[1];
	r->pad = 0;
	r->entry_seq = th->entry_seq;
	r->t_entry = th->t_entry;
	r->t_exit = bpf_ktime_get_ns();
	th->active = 0;
	th->returned = 1;
	r->seq = next_seq();
	r->tseq = ++th->tseq;
	bpf_ringbuf_submit(r, wake_flag(pending));
	count_out(1, sizeof(*r));
	if (killed)
		COUNT(killed, 1);
	return true;
}

/* Only the thread changes its own mask, by a syscall or on entering a signal
 * handler (whose mask holds the one from before): what its last return saw
 * is a part of its mask until then (RP_STOP_F_SEGV_BLOCKED). */
static __always_inline void note_segv_mask(struct thread *th, struct task_struct *task)
{
	th->segv_blocked = (task->blocked.sig[0] >> (RP_SIG_SEGV - 1)) & 1;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(rp_sys_exit, struct pt_regs *regs, long ret)
{
	if (!traced())
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct thread *th = bpf_task_storage_get(&threads, task, 0, 0);
	/* The number seen at entry: rt_sigreturn leaves the restored context's
	 * orig_ax (-1) in the registers. */
	__s64 reg = reg_nr(regs); /* loaded first: the verifier wants one pointer type per load */
	__s64 nr = th && th->active ? th->nr : reg;
	/* It returns to user code: a switch from the last runner comes first.
	 * Not after a sched_setaffinity that moved it: it stops for the re-pin
	 * first (repin below) and comes back through sched_switch. */
	const bool repinned = cfg_one_cpu && nr == NR_OF(203, 122) && ret == 0;
	struct rp_runner *r = cfg_one_cpu ? runner() : 0;
	if (r)
		rp_runner_sys_exit(r, task->pid, task->tgid, dying(task) || repinned);
	if (th) {
		forget_entry_stop(th, task->pid);  /* a call answered at the stop */
		note_segv_mask(th, task);
		th->restarting = rp_restart_code(ret);
		th->entering = 0;
		th->unborn = 0;
		if (th->active)
			rp_restart_note(&th->restart, nr, th->args, ret);
	}
	/* The table entry of its buffers (a restart_syscall's: the call it
	 * continues), also for its policy: the same for both. */
	const struct bspec *s = spec_of(th && th->active ? rp_buffers_nr(nr, th->args) : nr);
	/* A fatal signal is pending: the call never returns to user space, its
	 * outputs do not matter (ptrace records it as never returning too). */
	bool killed = task->pending.signal.sig[0] & (1ul << (RP_SIG_KILL - 1));
	if (th && th->active && !repinned && put_plain(task, th, s, ret, killed))
		return 0;
	struct emit *e = emit_slot(SLOT_SYS_EXIT);

	if (!e) {
		COUNT(lost, 1);
		return 0;
	}
	init_rec(e, SLOT_SYS_EXIT, pid_tgid, nr);
	e->rec.ret = ret;
	if (th && th->active) {
		th->active = 0;
		__builtin_memcpy(e->rec.args, th->args, sizeof(e->rec.args));
		e->rec.entry_seq = th->entry_seq;
		e->rec.t_entry = th->t_entry;
		e->rec.entry_len[0] = th->entry_len[0];
		e->rec.entry_len[1] = th->entry_len[1];
	} else if (s && s->policy == RP_POLICY_EXECVE && ret == 0) {
		/* Tracing began inside this execve (the traced program's first). */
		e->rec.h.flags |= RP_SYSF_NO_ENTRY;
	} else if (answered_by_seccomp(task, th, s, nr, ret)) {
		for (int i = 0; i < 6; i++)
			e->rec.args[i] = reg_arg(regs, i);
		e->rec.entry_seq = next_seq();
		e->rec.t_entry = e->rec.t_exit; /* answered before sys_enter: no time in it */
	} else {
		/* A new thread's return from clone, or tracing began mid-call:
		 * its next entry-less sys_exit is a seccomp-answered call. */
		if (!th)
			th = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (th) {
			th->returned = 1;
			note_segv_mask(th, task);
		}
		return 0;
	}
	if (killed) {
		e->rec.h.flags |= RP_SYSF_KILLED;
		COUNT(killed, 1);
	}
	if (!th)
		th = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!th) {
		COUNT(lost, 1);
		return 0;
	}
	th->returned = 1;
	note_segv_mask(th, task);
	e->rec.seq = e->k.seq = next_seq();
	e->rec.tseq = ++th->tseq;
	if (repinned)
		repin(e->rec.tid); /* sched_setaffinity moved it off the recording's CPU */
	if (s) {
		/* After a successful execve the old mm (and its strings) is gone:
		 * its path was copied at entry. */
		if (s->policy == RP_POLICY_EXECVE && ret == 0) {
			put_exec_path(e);
		} else if (s->smask) {
			struct emit_ref ref = { e };
			bpf_loop(6, str_cb, &ref, 0);
		}
		if (s->policy == RP_POLICY_EXECVE)
			bpf_map_delete_elem(&exec_paths, &e->rec.tid);
		/* A killed call never returns: its outputs do not matter. */
		put_buffers(e, s, !killed);
		if (killed)
			goto done;
		if (s->policy == RP_POLICY_EXECVE && ret == 0)
			put_at_random(e);
		if (user_reads(task, s, nr, ret, e->rec.args))
			e->k.fail |= FAIL_USER;
	}
done:
	finish(e, (__u32)pid_tgid);
	return 0;
}

/* sys_enter could not read execve's path (its page was not present, common
 * right after fork): the kernel's own copy is the string given, except where
 * execveat made it /dev/fd/N/... from a directory fd. A thread other than the
 * leader has taken the leader's tid by now: its copy moves with it. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(rp_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 old = old_pid, tid = p->pid;
	struct exec_path *x = bpf_map_lookup_elem(&exec_paths, &old);

	if (!x)
		return 0;
	if (x->unread && x->arg == 0) {
		long n = bpf_probe_read_kernel_str(x->buf, STR_MAX, bprm->filename);
		if (n > 0) {
			x->len = n - 1;
			x->unread = 0;
		}
	}
	if (old != tid && bpf_map_update_elem(&exec_paths, &tid, x, BPF_ANY) == 0)
		bpf_map_delete_elem(&exec_paths, &old);
	return 0;
}

/* A task record (fork or exit) numbered seq, or with a fresh number if 0. */
static __always_inline void emit_task(__u32 event, __u32 tid, __u32 tgid, __u32 parent_tid,
				      __s64 status, __u64 seq, __u64 wake)
{
	struct rp_rec_task *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);

	if (!r) {
		COUNT(lost, 1);
		return;
	}
	r->h.size = sizeof(*r);
	r->h.type = RP_REC_TASK;
	r->h.flags = 0;
	r->event = event;
	r->tid = tid;
	r->tgid = tgid;
	r->parent_tid = parent_tid;
	r->seq = seq ? seq : next_seq();
	r->status = status;
	bpf_ringbuf_submit(r, wake);
	COUNT(records, 1);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(rp_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	/* Its preemptions before its return from clone are none in user code:
	 * it has run none yet (rp_switch_rules.h). Before the child can run. */
	if (cfg_one_cpu && traced_task(parent)) {
		struct thread *th =
			bpf_task_storage_get(&threads, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (th)
			th->unborn = 1;
		if (ptgid != ctgid) {
			/* The copy of the memory is done: its place in the
			 * order (common/fork_copy.h), taken at its end if a
			 * hook there ran (copy_done), else now. */
			struct thread *pth = bpf_task_storage_get(&threads, parent, 0, 0);
			__u64 seq = pth ? pth->copy_seq : 0;
			struct rp_runner *r = seq ? 0 : runner();

			if (pth)
				pth->copy_seq = 0;
			if (r)
				rp_runner_fork_copied(r, parent->pid, ptgid);
			emit_task(RP_TASK_FORK, child->pid, ctgid, parent->pid, 0, seq,
				  BPF_RB_NO_WAKEUP);
		}
	}
	if (cfg_by_comm || ptgid == ctgid || ctgid >= RP_TGID_LIMIT)
		return 0;
	if (tgid_traced(ptgid))
		__sync_fetch_and_or(tgid_word(ctgid), RP_TGID_MASK(ctgid));
	/* A new process of an untraced parent is untraced, whatever its pid's
	 * bit says: every process starts here, so a bit its pid's last owner
	 * left set (its exit missed, rp's trace_tgid racing a SIGKILL) is gone
	 * before the process runs. sched_process_exit's clear is the rule; this
	 * makes a miss of it harmless. */
	else if (tgid_traced(ctgid))
		__sync_fetch_and_and(tgid_word(ctgid), ~RP_TGID_MASK(ctgid));
	return 0;
}

/* ---- the end of a fork's copy of the memory (common/fork_copy.h) ----
 * dup_mmap copies the caller's memory with its mm locked for writing, and
 * unlocks it at the end: a sibling thread that faults on a page already
 * copied waits until then, one that writes a page not copied yet changes the
 * copy. Its writes up to the unlock are the copy's; sched_process_fork comes
 * only after the rest of copy_process, in which siblings may run and write
 * what the copy does not hold (fork_sibling_writes, under QEMU). So the
 * copy's number is taken at the end of dup_mmap, where a hook can see it:
 * the kprobe on uprobe_end_dup_mmap (called there, after the unlock), or,
 * where kprobes are missing (this 6.18 host), the mmap_lock_released
 * tracepoint for the caller's mm. The loader attaches one of them, for a
 * one-CPU recording only. A fork that fails after its copy leaves its number
 * unused: no record holds it. */
static __always_inline void copy_done(struct task_struct *task)
{
	struct thread *th = bpf_task_storage_get(&threads, task, 0, 0);
	struct rp_runner *r;

	if (!th || !rp_fork_copy_ends(th->active, th->copy_seq, th->nr))
		return;
	r = runner();
	if (r)
		rp_runner_fork_copied(r, task->pid, task->tgid);
	th->copy_seq = next_seq();
}

SEC("kprobe/uprobe_end_dup_mmap")
int rp_copy_end_kprobe(struct pt_regs *ctx)
{
	if (cfg_one_cpu && traced())
		copy_done(bpf_get_current_task_btf());
	return 0;
}

/* The event's arguments: (mm, write) on newer kernels (6.18 here), (mm,
 * memcg_path, write) on older ones (6.1), whose records the memcg_id field
 * tells apart. */
struct trace_event_raw_mmap_lock___memcg_id {
	__u64 memcg_id;
} __attribute__((preserve_access_index));

SEC("tp_btf/mmap_lock_released")
int rp_copy_end_tp(__u64 *ctx)
{
	struct task_struct *task;

	if (!cfg_one_cpu)
		return 0;
	/* Two branches, not a select: the verifier never sees the argument
	 * the running kernel's event does not have. */
	if (bpf_core_field_exists(struct trace_event_raw_mmap_lock___memcg_id, memcg_id)) {
		if (!(__u8)ctx[1])
			return 0;
	} else if (!(__u8)ctx[2]) {
		return 0;
	}
	task = bpf_get_current_task_btf();
	if (ctx[0] != (__u64)task->mm || !traced())
		return 0;
	copy_done(task);
	return 0;
}

/* A traced thread exits (in its own context): its place in the global order
 * is just before do_exit's exit_mm() -> exit_mm_release() clears the
 * thread's tid and wakes pthread_join (or its vfork parent): after what saw
 * the thread alive, before the threads it wakes. Two hooks get there:
 * - the kprobe on exit_mm_release() (rp_exit_mm_release): 6.1 has no
 *   tracepoint there and fires sched_process_exit only after exit_mm(), when
 *   the joiner may already have made its next call;
 * - sched_process_exit (rp_exit), which newer kernels (6.18 here) fire
 *   before exit_mm(), and the only one when the kprobe cannot be attached.
 * Whichever runs first numbers the exit, the other keeps that number (as the
 * module does, kmod/rp_probe.c); `late`: the first is after exit_mm(), which
 * the loader reports (late_exits). The supervisor takes the number from
 * `exits` when it reaps the thread; a ptrace stop at PTRACE_EVENT_EXIT would
 * be too early, other threads run meanwhile. */
static __always_inline void number_exit(bool late)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct rp_bpf_exit e = {
		.start = BPF_CORE_READ(task, start_time),
		.task = (__u64)task,
	};
	struct rp_bpf_exit *old = bpf_map_lookup_elem(&exits, &tid);

	if (old && old->start == e.start && old->task == e.task)
		return;
	struct rp_runner *r = runner();
	if (r)
		rp_runner_exit_numbered(r, tid, (__u32)(id >> 32));
	e.seq = next_seq();
	bpf_map_update_elem(&exits, &tid, &e, BPF_ANY);
	if (late)
		COUNT(late_exits, 1);
}

/* Attached by the loader, not by the skeleton: it needs kprobes, which some
 * kernels lack (the 6.18 host: CONFIG_KPROBES is not set). fentry would not
 * do: it needs ftrace direct calls, on arm64 only from 6.4, and the host
 * refuses to load it (EPERM). */
SEC("kprobe/exit_mm_release")
int rp_exit_mm_release(struct pt_regs *ctx)
{
	if (cfg_stall && traced())
		number_exit(false);
	return 0;
}

/* The wait status of a process whose last thread exits (do_exit has set
 * exit_code by now): rp record -p stores it as the trace's exit status. */
static __always_inline void emit_group_exit(struct task_struct *task)
{
	emit_task(RP_TASK_EXIT, task->pid, task->tgid, 0, task->exit_code, 0, BPF_RB_FORCE_WAKEUP);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(rp_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid, tid = task->pid;

	bool group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;

	struct rp_runner *r = runner();
	if (r)
		rp_runner_exit(r, tid);
	if (cfg_stall && traced()) {
		number_exit(!task->mm);
		bpf_map_delete_elem(&stops, &tid);
	}
	/* Without a supervisor nobody else sees how the process ended. */
	if (!cfg_stall && group_dead && traced())
		emit_group_exit(task);
	/* The last thread (older kernels pass no group_dead: signal->live is 0).
	 * Every thread has passed exit_signals() and the group is not yet
	 * reaped, so its pid is still taken: cleared before it can be reused. An
	 * untraced process's bit is clear already: only a test, no write. */
	if (group_dead && tgid_traced(tgid))
		__sync_fetch_and_and(tgid_word(tgid), ~RP_TGID_MASK(tgid));
	return 0;
}
