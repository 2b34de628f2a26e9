/* SPDX-License-Identifier: GPL-2.0 */
/* rp_rules_kmod.h — the kernel environment of common/rp_rules.h, part of
 * rp_capture.c: the syscall table as the module reads it, a walk over one
 * syscall's buffers and how it reads user memory. It needs only
 * copy_from_user(_nofault), so tests/unit compiles this very file in user
 * space against stand-ins for those (rules_kmod_env.c).
 *
 * The includer provides u8..u64/s64, bool, __user, copy_from_user,
 * copy_from_user_nofault, ARRAY_SIZE, bool rp_fd_reads(u64 fd) (whether
 * the current task's fd is open for reading), u64 rp_file_end(u64 addr)
 * (where the file's bytes end in its mapping there, 0 for no file) and
 * bool rp_bpf_map(u64 fd, u64 *key, u64 *value) (a bpf map's sizes). */
#ifndef RP_RULES_KMOD_H
#define RP_RULES_KMOD_H

#include "rp_abi.h"

struct rp_kout {
	int arg;
	int kind;
	s64 p1, p2;
};

struct rp_kspec {
	const char *name;
	int nr;
	int policy;
	const char *kinds;
	struct rp_kout in;
	struct rp_kout out[4];
};

#ifdef CONFIG_ARM64
#define RP_NR(x64, a64) (a64)
#else
#define RP_NR(x64, a64) (x64)
#endif
#define RP_NONE { -1, RP_SZ_NONE, 0, 0 }
#define RP_OUT(a, k, x, y) { a, RP_SZ_##k, x, y }
#define RP_SYSCALL(name, x64, a64, args, pol, in, o0, o1, o2, o3) \
	{ #name, RP_NR(x64, a64), RP_POLICY_##pol, args, in, { o0, o1, o2, o3 } },

static const struct rp_kspec rp_table[] = {
#include "syscalls.def"
};

#undef RP_SYSCALL
#undef RP_OUT
#undef RP_NONE

/* ---- a walk over one syscall's regions ---- */

struct rp_walk;
struct rp_ring;
struct rp_region {
	u64 addr, len;
	u32 idx, flags;
	const char *kbuf;   /* bytes already copied at entry (execve's path) */
};
typedef bool (*rp_visit_fn)(struct rp_walk *w, const struct rp_region *rg);

struct rp_walk {
	const struct rp_kspec *s;
	const struct rp_rec_syscall *rec;
	u32 cfg_flags;
	const char *xpath;      /* execve path captured at entry */
	u32 xpath_len;
	bool may_fault;
	bool fault;             /* fast path: something was not readable */
	bool needs_slow;        /* fast path: would fault for sure (fresh file mapping) */
	rp_visit_fn visit;
	bool abort;
	/* visitor state */
	u32 nrec;
	u64 bytes;
	u8 *cur, *end;          /* fast: span being filled */
	struct rp_rec_data *first; /* fast: published last, by its type */
	u16 first_flags;
	struct rp_ring *ring;
};

/* The fast path runs in probe context (preemption off): nothing may fault,
 * an unreadable byte sends the whole syscall to the slow path. */
static bool rp_read(struct rp_walk *w, void *dst, u64 addr, u32 size)
{
	if (w->may_fault)
		return !copy_from_user(dst, (const void __user *)addr, size);
	if (!copy_from_user_nofault(dst, (const void __user *)addr, size))
		return true;
	w->fault = true;
	return false;
}

static bool rp_add(struct rp_walk *w, u32 idx, u32 flags, u64 addr, u64 len)
{
	struct rp_region rg = { .addr = addr, .len = len, .idx = idx, .flags = flags };

	if (!addr || !len || w->abort)
		return !w->abort;
	if (!w->visit(w, &rg))
		w->abort = true;
	return !w->abort;
}

/* The sink of the shared rules: a walk and the buffer being walked. */
struct rp_ksink {
	struct rp_walk *w;
	u32 idx, flags;
};

static bool rp_sink_read(struct rp_ksink *k, u64 addr, int size, u64 *v)
{
	u64 x = 0;

	if (!rp_read(k->w, &x, addr, size))
		return false;
	*v = size == 4 ? (u32)x : x;
	return true;
}

static void rp_sink_put(struct rp_ksink *k, u64 addr, u64 len)
{
	rp_add(k->w, k->idx, k->flags, addr, len);
}

static bool rp_sink_stopped(const struct rp_ksink *k)
{
	return k->w->abort;
}

static bool rp_sink_fd_reads(struct rp_ksink *k, u64 fd)
{
	(void)k;
	return rp_fd_reads(fd);
}

static u64 rp_sink_file_end(struct rp_ksink *k, u64 addr)
{
	(void)k;
	return rp_file_end(addr);
}

static bool rp_sink_bpf_map(struct rp_ksink *k, u64 fd, u64 *key, u64 *value)
{
	(void)k;
	return rp_bpf_map(fd, key, value);
}

#define RP_SINK struct rp_ksink
#define RP_RULES_BPF_MAP
#define RP_RULES_FD_READS
#define RP_RULES_FILE_MAPPED
#define RP_LOOP(n, fn, ctx)                                  \
	do {                                                 \
		u32 i_;                                      \
		for (i_ = 0; i_ < (n); i_++)                 \
			if (fn(i_, ctx))                     \
				break;                       \
	} while (0)
#include "rp_rules.h"

/* The output descriptors' regions, then the input descriptor's. */
static void rp_walk_outputs(struct rp_walk *w)
{
	const struct rp_rec_syscall *rec = w->rec;
	u32 k;

	for (k = 0; k < 4 && !w->abort; k++) {
		const struct rp_kout *o = &w->s->out[k];
		struct rp_ksink sink = { .w = w, .idx = k, .flags = 0 };

		if (o->arg >= 0 && o->kind != RP_SZ_NONE)
			rp_put_output(&sink, o->kind, o->arg, o->p1, o->p2, rec->args, rec->ret,
				      rec->entry_len);
	}
}

static void rp_walk_input(struct rp_walk *w)
{
	const struct rp_kout *in = &w->s->in;
	struct rp_ksink sink = { .w = w, .idx = RP_DATA_IDX_INPUT, .flags = RP_DATAF_INPUT };

	if (in->arg >= 0 && in->kind != RP_SZ_NONE && !w->abort)
		rp_put_input(&sink, in->kind, in->arg, in->p1, w->rec->args);
}

/* Lengths read at sys_enter (probe context) that bound outputs at exit. */
static void rp_walk_entry_lens(const struct rp_kspec *s, const u64 *args, u32 len[2])
{
	struct rp_walk w = { .may_fault = false };
	struct rp_ksink sink = { .w = &w };
	int k;

	len[0] = len[1] = 0;
	for (k = 0; k < 4; k++)
		rp_entry_len(&sink, s->out[k].kind, s->out[k].arg, s->out[k].p1, args, len);
}

#endif /* RP_RULES_KMOD_H */
