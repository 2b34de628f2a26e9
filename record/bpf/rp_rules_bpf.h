/* rp_rules_bpf.h — the BPF environment of common/rp_rules.h, part of
 * rp.bpf.c: the syscall table as BPF reads it, the region sink and the
 * callbacks that walk a syscall's descriptors. It needs only BPF helpers and
 * put_region() (the ring, in rp_regions.bpf.h), so tests/unit compiles this
 * very file in user space against stand-ins for those (rules_bpf_env.c).
 *
 * The includer defines put_region() and file_end() and provides bpf_probe_read_user,
 * bpf_loop, __always_inline, __noinline and the __u* types. */
#ifndef RP_RULES_BPF_H
#define RP_RULES_BPF_H

#include "rp_abi.h"

#define MAX_NR 512

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

#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
#endif
static const struct bspec specs[MAX_NR + 1] = {
#include "syscalls.def"
};
#ifdef __clang__
#pragma clang diagnostic pop
#endif
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

/* ---- the region sink ---- */
enum { FAIL_RING = 1, FAIL_COPY = 2, FAIL_USER = 4 };

/* Where data records go. The walkers are global functions, which the
 * verifier checks once each instead of once per call site; bpf_loop
 * callbacks get their context on the subprogram's own stack. */
/* 24 bytes: the walkers copy it into their bpf_loop contexts, and each frame
 * of the deepest call chain counts against the 512 bytes of stack (below). */
struct sink {
	__u64 seq;
	__u32 ndata;      /* data records emitted, packed or not */
	__u16 idx, flags; /* out_index and flags of the next data records */
	__u16 packed;     /* bytes of data records packed after rec (rp.bpf.c) */
	__u16 npacked;    /* how many */
	__u8 fail;        /* FAIL_*: the syscall goes to user space (stalls map) */
	__u8 slot;        /* the emit slot this sink is part of (rp.bpf.c) */
	__u16 pad;
};

/* rec last: in rp.bpf.c the bytes after it are the data records packed into
 * the syscall's ring record (rp_abi.h). */
struct emit {
	struct sink k;
	struct rp_rec_syscall rec;
};

/* A bpf_loop callback's context must be on the BPF stack (6.1 verifier), but
 * the syscall being emitted lives in a per-CPU map slot (rp.bpf.c): the
 * callbacks get a pointer to it. */
struct emit_ref {
	struct emit *e;
};

/* Copies [addr, addr + len) into data records (rp_regions.bpf.h). */
__noinline int put_region(struct sink *k, __u64 addr, __u64 len);
/* Where the file's bytes end in the current task's mapping at addr, 0 if it
 * maps no file (rp.bpf.c). */
static __u64 file_end(__u64 addr);

/* Probe context cannot fault pages in: an unreadable word hands the whole
 * syscall to user space, which reads it with the same rules. */
static __always_inline bool rp_sink_read(struct sink *k, __u64 addr, int size, __u64 *v)
{
	if (size == 4) {
		__u32 x = 0;
		if (!bpf_probe_read_user(&x, 4, (void *)addr)) {
			*v = x;
			return true;
		}
	} else if (!bpf_probe_read_user(v, 8, (void *)addr)) {
		return true;
	}
	k->fail |= FAIL_COPY;
	return false;
}

static __always_inline void rp_sink_put(struct sink *k, __u64 addr, __u64 len)
{
	put_region(k, addr, len);
}

static __always_inline bool rp_sink_stopped(const struct sink *k)
{
	return k->fail != 0;
}

/* recvmmsg would nest bpf_loop callbacks beyond the verifier's call depth;
 * semctl GETALL's size is a semaphore set's, which user space asks for,
 * vmsplice's direction its fd's mode and a bpf map lookup's size the map's,
 * which user space reads. */
static __always_inline void rp_sink_defer(struct sink *k)
{
	k->fail |= FAIL_USER;
}

static __always_inline __u64 rp_sink_file_end(struct sink *k, __u64 addr)
{
	(void)k;
	return file_end(addr);
}

#define RP_SINK struct sink
#define RP_LOOP(n, fn, ctx) bpf_loop(n, fn, ctx, 0)
#define RP_SUBPROG __noinline
#define RP_INLINE static __always_inline
#define RP_RULES_DEFER_MMSGHDR
#define RP_RULES_DEFER_SEM_GETALL
#define RP_RULES_DEFER_FD_READS
#define RP_RULES_DEFER_BPF_MAP
#define RP_RULES_FILE_MAPPED
#include "rp_rules.h"

/* Which buffer the next regions belong to. */
static __always_inline void at(struct sink *k, __u32 idx, __u32 flags)
{
	k->idx = idx;
	k->flags = flags;
}

/* The rule walks below are global functions: the verifier checks each once,
 * with e's fields unknown, rather than once for every state rp_sys_exit
 * reaches them in (inlined into a bpf_loop callback, which 6.18 re-verifies
 * until its states converge, the output walk cost ~350k of sys_exit's 468k
 * verified instructions). A global function takes e as plain memory: it
 * checks e itself and looks the syscall up again. The caller calls them
 * directly, not from a callback: Debian 6.1 counts every frame of the
 * deepest chain (outputs -> msghdr -> iov -> region -> chunk) against 8
 * frames and 512 bytes of stack. */

/* Output descriptor i of the syscall in e; non-zero: stop (the walk failed). */
__noinline int put_output(struct emit *e, __u32 i)
{
	const struct bspec *s;

	if (!e || e->k.fail || i >= 4)
		return 1;
	s = spec_of(rp_buffers_nr(e->rec.nr, e->rec.args));
	if (!s)
		return 1;
	const struct bout *o = &s->out[i & 3];
	if (o->arg < 0 || o->kind == RP_SZ_NONE)
		return 0;
	at(&e->k, i, 0);
	rp_put_output(&e->k, o->kind, o->arg, o->p1, o->p2, e->rec.args, e->rec.ret,
		      e->rec.entry_len);
	return e->k.fail ? 1 : 0;
}

/* The input descriptor of the syscall in e: the bytes a write-like call sends. */
__noinline int put_input(struct emit *e)
{
	const struct bspec *s;

	if (!e || e->k.fail)
		return 0;
	s = spec_of(rp_buffers_nr(e->rec.nr, e->rec.args));
	if (!s || s->in.kind == RP_SZ_NONE || s->in.arg < 0)
		return 0;
	at(&e->k, RP_DATA_IDX_INPUT, RP_DATAF_INPUT);
	rp_put_input(&e->k, s->in.kind, s->in.arg, s->in.p1, e->rec.args);
	return 0;
}

/* The outputs and the input descriptor of the syscall in e (not its strings). */
static __always_inline void put_buffers(struct emit *e, const struct bspec *s, bool outputs)
{
	if (s->in.kind != RP_SZ_NONE && s->in.arg >= 0)
		put_input(e);
	if (!outputs)
		return;
	for (__u32 i = 0; i < 4; i++)
		if (s->out[i].kind != RP_SZ_NONE && put_output(e, i))
			break;
}

/* The syscall's table entry gives it nothing to copy at exit: no path
 * argument, no input or output descriptor, not execve (its path and
 * AT_RANDOM). rp.bpf.c writes such a call's record straight into the ring
 * (put_plain) unless a rule hands it to user space. Conservative: an output
 * whose argument is absent (put_output skips it) still counts. */
static __always_inline bool spec_record_only(const struct bspec *s)
{
	return !(s->smask || s->policy == RP_POLICY_EXECVE || s->in.kind != RP_SZ_NONE ||
		 s->out[0].kind != RP_SZ_NONE || s->out[1].kind != RP_SZ_NONE ||
		 s->out[2].kind != RP_SZ_NONE || s->out[3].kind != RP_SZ_NONE);
}

/* Values some outputs need from entry (rp_entry_len), read at sys_enter. */
static __always_inline void save_entry_lens(const struct bspec *s, const __u64 *args,
					    __u32 len[2])
{
	struct sink scratch = {};

	len[0] = len[1] = 0;
	for (int i = 0; i < 4; i++)
		rp_entry_len(&scratch, s->out[i].kind, s->out[i].arg, s->out[i].p1, args, len);
}

#endif
