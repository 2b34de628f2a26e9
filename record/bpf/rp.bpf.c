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

char LICENSE[] SEC("license") = "GPL";

#define MAX_NR 512
#define CHUNK RP_BPF_CHUNK
#define MAX_IOV 1024
#define MAX_SOCKADDR 128
#define STR_MAX 4096
#define DATA_HDR sizeof(struct rp_rec_data)

#define E_NOSYS 38
#define SIG_KILL 9
#define SIG_STOP 19
#define MAP_ANON 0x20
#define AT_RANDOM_ 25

/* ---- configuration: set by the loader before the program is loaded ---- */
const volatile __u32 cfg_by_comm = 0;    /* 1: trace tasks whose comm is cfg_comm */
const volatile char cfg_comm[16] = {};
const volatile __u32 cfg_stall = 1;      /* 0: no ptrace supervisor, never stop threads */
const volatile __u64 cfg_wake_bytes = 1; /* wake the drainer at this much pending data */

/* The global sequence number. In .bss, which user space mmaps and increments
 * atomically too (signals, exits): one order for kernel and ptrace events. */
__u64 rp_seq = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* the loader sets the real size */
} ring SEC(".maps");

/* Traced processes. Children are added at fork, before they run. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

/* execve's path, copied at entry: at exit the old mm is gone. By tid. */
struct exec_path {
	__u64 addr;
	__u32 len;
	__u32 arg;
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
	__u64 tseq;
	__u32 entry_len[2];
	__u32 active;
	__u32 pad;
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

/* Where each thread's exit falls in the global order, by tid: see rp_exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_bpf_counters);
} counters SEC(".maps");

/* ---- the syscall table, generated from syscalls.def ---- */
struct bout {
	__s8 arg;
	__u8 kind;
	__u16 pad;
	__s32 p1, p2;
};

struct bspec {
	__u8 known, policy, smask, pad;
	struct bout in, out[4];
};

#if defined(__TARGET_ARCH_arm64)
#define NR_OF(x64, a64) ((a64) < 0 ? MAX_NR : (a64))
#else
#define NR_OF(x64, a64) (x64)
#endif
/* Bit i set when argument i is a path string ('s'). */
#define SBIT(s, i) ((sizeof(s) > (i) + 1 && (s)[(i) < sizeof(s) ? (i) : 0] == 's') ? 1u << (i) : 0u)
#define SMASK(s) (SBIT(s, 0) | SBIT(s, 1) | SBIT(s, 2) | SBIT(s, 3) | SBIT(s, 4) | SBIT(s, 5))
#define RP_NONE { -1, RP_SZ_NONE, 0, 0, 0 }
#define RP_OUT(a, k, x, y) { a, RP_SZ_##k, 0, x, y }
#define RP_SYSCALL(name, x64, a64, args, pol, in, o0, o1, o2, o3) \
	[NR_OF(x64, a64)] = { 1, RP_POLICY_##pol, SMASK(args), 0, in, { o0, o1, o2, o3 } },

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
static const struct bspec specs[MAX_NR + 1] = {
#include "syscalls.def"
};
#pragma clang diagnostic pop
#undef RP_SYSCALL
#undef RP_OUT
#undef RP_NONE

static __always_inline const struct bspec *spec_of(__s64 nr)
{
	if (nr < 0 || nr >= MAX_NR)
		return 0;
	const struct bspec *s = &specs[nr];
	return s->known ? s : 0;
}

/* ---- helpers ---- */
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

static __always_inline bool is_error(__s64 r)
{
	return r < 0 && r > -4096;
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
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&tgids, &tgid) != 0;
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

/* ---- emitting one syscall ---- */
enum { FAIL_RING = 1, FAIL_COPY = 2, FAIL_USER = 4 };

/* Where data records go. The subprograms below are global functions, which
 * the verifier checks once each instead of once per call site; bpf_loop
 * callbacks get their context on the subprogram's own stack. */
struct sink {
	__u64 seq;
	__u32 idx, flags; /* out_index and flags of the next data records */
	__u32 ndata;      /* data records emitted */
	__u32 fail;       /* FAIL_* */
};

struct emit {
	struct rp_rec_syscall rec;
	struct sink k;
	__u64 iov; /* the mmsghdr vector (MMSGLEN) */
};

static __always_inline __u64 argv_(struct emit *e, __s64 i)
{
	switch (i) {
	case 0: return e->rec.args[0];
	case 1: return e->rec.args[1];
	case 2: return e->rec.args[2];
	case 3: return e->rec.args[3];
	case 4: return e->rec.args[4];
	case 5: return e->rec.args[5];
	}
	return 0;
}

static __always_inline __u64 umin(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* Which buffer the next regions belong to. */
static __always_inline void at(struct sink *k, __u32 idx, __u32 flags)
{
	k->idx = idx;
	k->flags = flags;
}

struct chunk_ctx {
	__u64 addr, len;
	struct sink k;
};

/* One data record of at most CAP payload bytes: the ring only reserves
 * constant sizes, so records come in a few size classes. */
#define PUT_CHUNK(CAP)                                                                 \
	do {                                                                           \
		struct rp_rec_data *d = bpf_ringbuf_reserve(&ring, DATA_HDR + (CAP), 0); \
		if (!d) {                                                              \
			c->k.fail |= FAIL_RING;                                        \
			return 1;                                                      \
		}                                                                      \
		__u32 n = left > (CAP) ? (CAP) : (__u32)left;                          \
		barrier_var(n);                                                        \
		if (n > (CAP))                                                         \
			n = (CAP);                                                     \
		if (bpf_probe_read_user(d + 1, n, (void *)(c->addr + off))) {          \
			bpf_ringbuf_discard(d, BPF_RB_NO_WAKEUP);                      \
			c->k.fail |= FAIL_COPY;                                        \
			return 1;                                                      \
		}                                                                      \
		d->h.size = (DATA_HDR + n + 7) & ~7u;                                  \
		d->h.type = RP_REC_DATA;                                               \
		d->h.flags = c->k.flags;                                               \
		d->len = n;                                                            \
		d->out_index = c->k.idx;                                               \
		d->seq = c->k.seq;                                                     \
		d->addr = c->addr + off;                                               \
		bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);                               \
		c->k.ndata++;                                                          \
		COUNT(bytes, DATA_HDR + (CAP));                                        \
		return 0;                                                              \
	} while (0)

/* Chunk i of the region: an offset computed from i, not accumulated, lets
 * the verifier see the loop converge. */
static long chunk_cb(__u32 i, void *ctx)
{
	struct chunk_ctx *c = ctx;
	__u64 off = (__u64)i * CHUNK;

	if (c->k.fail || off >= c->len)
		return 1;
	__u64 left = c->len - off;
	if (left <= 128)
		PUT_CHUNK(128);
	if (left <= 1024)
		PUT_CHUNK(1024);
	if (left <= 8192)
		PUT_CHUNK(8192);
	PUT_CHUNK(CHUNK);
}

__noinline int put_region(struct sink *k, __u64 addr, __u64 len)
{
	if (!k || !addr || !len || k->fail)
		return 0;
	struct chunk_ctx c = { .addr = addr, .len = len, .k = *k };
	bpf_loop(umin(len / CHUNK + 1, 1 << 22), chunk_cb, &c, 0);
	*k = c.k;
	return 0;
}

static __always_inline bool read_u64(struct sink *k, __u64 addr, __u64 *v)
{
	if (!bpf_probe_read_user(v, 8, (void *)addr))
		return true;
	k->fail |= FAIL_COPY;
	return false;
}

static __always_inline bool read_u32(struct sink *k, __u64 addr, __u64 *v)
{
	__u32 x;
	if (!bpf_probe_read_user(&x, 4, (void *)addr)) {
		*v = x;
		return true;
	}
	k->fail |= FAIL_COPY;
	return false;
}

struct iov_ctx {
	__u64 iov, limit;
	struct sink k;
};

static long iov_cb(__u32 i, void *ctx)
{
	struct iov_ctx *c = ctx;
	__u64 v[2];

	if (c->k.fail || !c->limit)
		return 1;
	if (bpf_probe_read_user(v, sizeof(v), (void *)(c->iov + i * 16))) {
		c->k.fail |= FAIL_COPY;
		return 1;
	}
	__u64 take = umin(v[1], c->limit);
	c->limit -= take;
	put_region(&c->k, v[0], take);
	return 0;
}

/* iovec array at iov with n entries, covering at most limit bytes. */
__noinline int put_iov(struct sink *k, __u64 iov, __u64 n, __u64 limit)
{
	if (!k || !iov || k->fail)
		return 0;
	struct iov_ctx c = { .iov = iov, .limit = limit, .k = *k };
	bpf_loop(umin(n, MAX_IOV), iov_cb, &c, 0);
	*k = c.k;
	return 0;
}

/* recvmsg-style msghdr after the call; the caps are the name and control
 * buffer sizes given at entry. */
__noinline int put_msghdr(struct sink *k, __u64 m, __u64 data_len, __u32 name_cap, __u32 ctl_cap)
{
	__u64 name, namelen, iov, iovlen, ctl, ctllen;

	if (!k)
		return 0;
	put_region(k, m, RP_SIZEOF_MSGHDR);
	if (read_u64(k, m, &name) && read_u32(k, m + 8, &namelen))
		put_region(k, name, umin(namelen, name_cap));
	if (read_u64(k, m + 16, &iov) && read_u64(k, m + 24, &iovlen))
		put_iov(k, iov, iovlen, data_len);
	if (read_u64(k, m + 32, &ctl) && read_u64(k, m + 40, &ctllen))
		put_region(k, ctl, umin(ctllen, ctl_cap));
	return 0;
}

static long mmsglen_cb(__u32 i, void *ctx)
{
	struct emit *e = ctx;

	put_region(&e->k, e->iov + i * RP_SIZEOF_MMSGHDR + 56, 4);
	return e->k.fail ? 1 : 0;
}

static __always_inline __u64 ioctl_size(__u64 req)
{
	switch (req & 0xffffffff) {
	case 0x5401: return 36;  /* TCGETS */
	case 0x5405: return 18;  /* TCGETA */
	case 0x540F: return 4;   /* TIOCGPGRP */
	case 0x5411: return 4;   /* TIOCOUTQ */
	case 0x5413: return 8;   /* TIOCGWINSZ */
	case 0x5415: return 4;   /* TIOCMGET */
	case 0x541B: return 4;   /* FIONREAD */
	case 0x5429: return 4;   /* TIOCGSID */
	case 0x802C542A: return 44; /* TCGETS2 */
	}
	return ((req >> 30) & 2) ? (req >> 16) & 0x3fff : 0;
}

/* Output descriptor k of the syscall (common/buffers.cc output_regions). */
static long out_cb(__u32 k, void *ctx)
{
	struct emit *e = ctx;
	const struct bspec *s = spec_of(e->rec.nr);
	__s64 ret = e->rec.ret;
	bool failed = is_error(ret);
	__u64 uret = failed || ret < 0 ? 0 : ret;
	__u64 p, v;

	if (!s || e->k.fail || k >= 4)
		return 1;
	const struct bout *o = &s->out[k & 3];
	if (o->arg < 0 || o->kind == RP_SZ_NONE)
		return 0;
	p = argv_(e, o->arg);
	if (!p)
		return 0;
	at(&e->k, k, 0);
	switch (o->kind) {
	case RP_SZ_FIXED:
		put_region(&e->k, p, o->p1);
		break;
	case RP_SZ_RET:
		put_region(&e->k, p, uret * o->p1);
		break;
	case RP_SZ_ARG:
		if (!failed)
			put_region(&e->k, p, argv_(e, o->p1));
		break;
	case RP_SZ_ARGMUL:
		if (!failed)
			put_region(&e->k, p, argv_(e, o->p1) * o->p2);
		break;
	case RP_SZ_LENPTR:
		if (!failed && argv_(e, o->p1) && read_u32(&e->k, argv_(e, o->p1), &v))
			put_region(&e->k, p, umin(umin(v, e->rec.entry_len[0]), MAX_SOCKADDR * 32));
		break;
	case RP_SZ_IOV:
		if (!failed)
			put_iov(&e->k, p, argv_(e, o->p1), uret);
		break;
	case RP_SZ_MSGHDR:
		if (!failed)
			put_msghdr(&e->k, p, uret, e->rec.entry_len[0], e->rec.entry_len[1]);
		break;
	case RP_SZ_MMSGHDR:
		/* recvmmsg: a vector of msghdrs, rare enough for user space. */
		if (uret)
			e->k.fail |= FAIL_USER;
		break;
	case RP_SZ_MMSGLEN:
		e->iov = p;
		bpf_loop(umin(uret, MAX_IOV), mmsglen_cb, e, 0);
		break;
	case RP_SZ_IOCTL:
		if (!failed)
			put_region(&e->k, p, ioctl_size(e->rec.args[1]));
		break;
	case RP_SZ_FCNTL:
		if (!failed && (e->rec.args[1] == 5 || e->rec.args[1] == 36)) /* F_GETLK, F_OFD_GETLK */
			put_region(&e->k, p, RP_SIZEOF_FLOCK);
		break;
	case RP_SZ_FDSET:
		if (!failed)
			put_region(&e->k, p, (umin(e->rec.args[0], 1 << 20) + 63) / 64 * 8);
		break;
	case RP_SZ_PAGES:
		if (!failed)
			put_region(&e->k, p, (argv_(e, o->p1) + 4095) / 4096);
		break;
	case RP_SZ_BITS:
		if (!failed)
			put_region(&e->k, p, (umin(argv_(e, o->p1), 1 << 16) + 63) / 64 * 8);
		break;
	case RP_SZ_HANDLE:
		if (read_u32(&e->k, p, &v))
			put_region(&e->k, p, 8 + umin(v, 128));
		break;
	}
	return e->k.fail ? 1 : 0;
}

/* Path argument i, without its NUL, like read_cstring() in user space. */
static long str_cb(__u32 i, void *ctx)
{
	struct emit *e = ctx;
	const struct bspec *s = spec_of(e->rec.nr);
	__u64 p = argv_(e, i);

	if (!s || e->k.fail || i >= 6)
		return 1;
	if (!(s->smask & (1u << i)) || !p)
		return 0;
	struct rp_rec_data *d = bpf_ringbuf_reserve(&ring, DATA_HDR + STR_MAX, 0);
	if (!d) {
		e->k.fail |= FAIL_RING;
		return 1;
	}
	/* Unreadable counts as empty, as in user space. */
	long n = bpf_probe_read_user_str(d + 1, STR_MAX, (void *)p);
	__u32 len = n > 0 ? n - 1 : 0;
	d->h.size = (DATA_HDR + len + 7) & ~7u;
	d->h.type = RP_REC_DATA;
	d->h.flags = RP_DATAF_INPUT;
	d->len = len;
	d->out_index = RP_DATA_IDX_STR(i);
	d->seq = e->rec.seq;
	d->addr = p;
	bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);
	e->k.ndata++;
	COUNT(bytes, DATA_HDR + STR_MAX);
	return 0;
}

/* The 16 bytes AT_RANDOM points to, from the new mm's saved auxv. */
static __noinline void put_at_random(struct emit *e)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;
	__u64 addr = 0;

	if (!e || !mm)
		return;
	for (int i = 0; i + 1 < 56; i += 2) {
		__u64 k = BPF_CORE_READ(mm, saved_auxv[i]);
		if (k == 0)
			break;
		if (k == AT_RANDOM_) {
			addr = BPF_CORE_READ(mm, saved_auxv[i + 1]);
			break;
		}
	}
	at(&e->k, RP_DATA_IDX_EXTRA, 0);
	if (addr)
		put_region(&e->k, addr, 16);
	else
		e->k.fail |= FAIL_USER;
}

/* Writes the syscall record after its data, or hands it to user space. */
static __always_inline void finish(struct emit *e, __u32 tid)
{
	if (!e->k.fail) {
		struct rp_rec_syscall *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
		if (r) {
			e->rec.ndata = e->k.ndata;
			__builtin_memcpy(r, &e->rec, sizeof(*r));
			__u64 pending = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
			bpf_ringbuf_submit(r, pending >= cfg_wake_bytes ? BPF_RB_FORCE_WAKEUP
								    : BPF_RB_NO_WAKEUP);
			struct rp_bpf_counters *c = cnt();
			if (c) {
				c->records += e->k.ndata + 1;
				c->bytes += sizeof(*r);
			}
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
	e->rec.h.flags |= RP_SYSF_DATA_MISSING;
	e->rec.ndata = 0;
	if (cfg_stall) {
		/* The supervisor completes it while the thread is stopped. */
		if (bpf_map_update_elem(&stalls, &tid, &e->rec, BPF_ANY) == 0) {
			bpf_send_signal_thread(SIG_STOP);
			COUNT(stalls, 1);
		} else {
			COUNT(lost, 1);
		}
		return;
	}
	/* Nobody can stop the thread: keep the record, marked incomplete. */
	struct rp_rec_syscall *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		COUNT(lost, 1);
		return;
	}
	e->rec.ndata = e->k.ndata;
	__builtin_memcpy(r, &e->rec, sizeof(*r));
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	COUNT(records, e->k.ndata + 1);
}

static __always_inline void init_rec(struct emit *e, __u64 pid_tgid, __s64 nr)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->rec.h.size = sizeof(e->rec);
	e->rec.h.type = RP_REC_SYSCALL;
	e->rec.tid = (__u32)pid_tgid;
	e->rec.tgid = pid_tgid >> 32;
	e->rec.nr = nr;
}

/* Values some outputs need from entry: in/out lengths (buffers.cc entry_lens). */
static __always_inline void save_entry_lens(struct thread *th, const struct bspec *s)
{
	__u32 v = 0;
	__u64 c = 0;

	th->entry_len[0] = th->entry_len[1] = 0;
	for (int k = 0; k < 4; k++) {
		const struct bout *o = &s->out[k];
		if (o->kind == RP_SZ_LENPTR && o->p1 >= 0 && o->p1 < 6 && th->args[o->p1 & 7]) {
			if (!bpf_probe_read_user(&v, 4, (void *)th->args[o->p1 & 7]))
				th->entry_len[0] = v;
		} else if (o->kind == RP_SZ_MSGHDR && o->arg >= 0 && o->arg < 6 &&
			   th->args[o->arg & 7]) {
			if (!bpf_probe_read_user(&v, 4, (void *)(th->args[o->arg & 7] + 8)))
				th->entry_len[0] = v;
			if (!bpf_probe_read_user(&c, 8, (void *)(th->args[o->arg & 7] + 40)))
				th->entry_len[1] = (__u32)c;
		}
	}
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
	if (!x)
		return;
	struct rp_rec_data *d = bpf_ringbuf_reserve(&ring, DATA_HDR + STR_MAX, 0);
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
		d->out_index = RP_DATA_IDX_STR(x->arg);
		d->seq = e->rec.seq;
		d->addr = x->addr;
		bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);
		e->k.ndata++;
	}
	bpf_map_delete_elem(&exec_paths, &tid);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(rp_sys_enter, struct pt_regs *regs, long id)
{
	if (!traced())
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread *th = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!th) {
		COUNT(lost, 1);
		return 0;
	}
	th->nr = id;
	for (int i = 0; i < 6; i++)
		th->args[i] = reg_arg(regs, i);
	th->entry_seq = next_seq();
	th->active = 1;
	const struct bspec *s = spec_of(id);
	if (!s)
		return 0;
	save_entry_lens(th, s);
	if (s->policy == RP_POLICY_EXECVE)
		save_exec_path(th, s);
	if (s->policy == RP_POLICY_EXIT) {
		/* exit and exit_group never return: record them now. */
		struct emit e;
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		init_rec(&e, pid_tgid, id);
		__builtin_memcpy(e.rec.args, th->args, sizeof(e.rec.args));
		e.rec.entry_seq = th->entry_seq;
		e.rec.seq = e.k.seq = next_seq();
		e.rec.tseq = ++th->tseq;
		e.rec.h.flags = RP_SYSF_NO_EXIT;
		th->active = 0;
		finish(&e, (__u32)pid_tgid);
	}
	return 0;
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
	const struct bspec *s = spec_of(nr);
	struct emit e;

	init_rec(&e, pid_tgid, nr);
	e.rec.ret = ret;
	if (th && th->active) {
		th->active = 0;
		__builtin_memcpy(e.rec.args, th->args, sizeof(e.rec.args));
		e.rec.entry_seq = th->entry_seq;
		e.rec.entry_len[0] = th->entry_len[0];
		e.rec.entry_len[1] = th->entry_len[1];
	} else if (s && s->policy == RP_POLICY_EXECVE && ret == 0) {
		/* Tracing began inside this execve (the traced program's first). */
		e.rec.h.flags |= RP_SYSF_NO_ENTRY;
	} else if (s && s->policy == RP_POLICY_ENOSYS && ret == -E_NOSYS) {
		/* Refused by rp's seccomp filter, which runs before sys_enter. */
		for (int i = 0; i < 6; i++)
			e.rec.args[i] = reg_arg(regs, i);
		e.rec.entry_seq = next_seq();
	} else {
		return 0; /* a new thread's return from clone, or tracing began mid-call */
	}
	/* A fatal signal is pending: the call never returns to user space, its
	 * outputs do not matter (ptrace records it as never returning too). */
	bool killed = task->pending.signal.sig[0] & (1ul << (SIG_KILL - 1));
	if (killed) {
		e.rec.h.flags |= RP_SYSF_KILLED;
		COUNT(killed, 1);
	}
	if (!th)
		th = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!th) {
		COUNT(lost, 1);
		return 0;
	}
	e.rec.seq = e.k.seq = next_seq();
	e.rec.tseq = ++th->tseq;
	if (s) {
		/* After a successful execve the old mm (and its strings) is gone:
		 * its path was copied at entry. */
		if (s->policy == RP_POLICY_EXECVE && ret == 0)
			put_exec_path(&e);
		else if (s->smask)
			bpf_loop(6, str_cb, &e, 0);
		if (s->policy == RP_POLICY_EXECVE)
			bpf_map_delete_elem(&exec_paths, &e.rec.tid);
		if (s->in.kind != RP_SZ_NONE && s->in.arg >= 0) {
			__u64 p = argv_(&e, s->in.arg), iov = 0, n = 0;
			at(&e.k, RP_DATA_IDX_INPUT, RP_DATAF_INPUT);
			if (s->in.kind == RP_SZ_ARG)
				put_region(&e.k, p, argv_(&e, s->in.p1));
			else if (s->in.kind == RP_SZ_IOV)
				put_iov(&e.k, p, argv_(&e, s->in.p1), ~0ull);
			else if (s->in.kind == RP_SZ_MSGHDR && p && read_u64(&e.k, p + 16, &iov) &&
				 read_u64(&e.k, p + 24, &n))
				put_iov(&e.k, iov, n, ~0ull);
		}
		if (killed)
			goto done;
		if (s->out[0].kind | s->out[1].kind | s->out[2].kind | s->out[3].kind)
			bpf_loop(4, out_cb, &e, 0);
		if (s->policy == RP_POLICY_EXECVE && ret == 0)
			put_at_random(&e);
		if (s->policy == RP_POLICY_MMAP && !is_error(ret) && !(e.rec.args[3] & MAP_ANON))
			/* Its pages are not present yet: user space reads them. */
			e.k.fail |= FAIL_USER;
	}
done:
	finish(&e, (__u32)pid_tgid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(rp_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!cfg_by_comm && ptgid != ctgid && bpf_map_lookup_elem(&tgids, &ptgid))
		bpf_map_update_elem(&tgids, &ctgid, &one, BPF_NOEXIST);
	return 0;
}

/* A thread exits (in its own context). On recent kernels (6.18 here: the
 * task still has its mm) this fires before exit_mm(), where the kernel clears
 * the thread's tid and wakes pthread_join (or its vfork parent): numbering
 * the exit here puts it after what saw the thread alive and before the
 * threads it wakes. The supervisor
 * takes the number from `exits` when it reaps the thread; a ptrace stop at
 * PTRACE_EVENT_EXIT would be too early, other threads run meanwhile. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(rp_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid, tid = task->pid;

	if (cfg_stall && traced()) {
		__u64 seq = next_seq();
		bpf_map_update_elem(&exits, &tid, &seq, BPF_ANY);
	}
	/* The last thread (older kernels pass no group_dead: signal->live is 0). */
	if (BPF_CORE_READ(task, signal, live.counter) == 0)
		bpf_map_delete_elem(&tgids, &tgid);
	return 0;
}
