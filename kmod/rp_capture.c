// SPDX-License-Identifier: GPL-2.0
/* What a syscall's records carry: the kernel-side reading of syscalls.def.
 * The region rules mirror common/buffers.cc (user space recomputes nothing,
 * but the ptrace backend must capture the same bytes), and one walker serves
 * both paths: the fast one in probe context (nothing may fault, everything or
 * nothing is emitted) and the slow one at return to user space (faults are
 * served, and an unreadable page ends its region like process_vm_readv).
 */
#include <linux/auxvec.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "rp_internal.h"

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

#define RP_MAX_NR 512
#define RP_CHUNK 65536u         /* payload bytes per data record */
#define RP_STR_MAX 4096         /* like read_cstring() in user space */
#define RP_MAX_IOV 1024         /* UIO_MAXIOV */
#define RP_MAX_SOCKADDR 128
#define RP_FAST_MAX (4u << 20)  /* larger outputs are copied preemptibly */

static const struct rp_kspec *rp_by_nr[RP_MAX_NR];

void rp_table_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rp_table); i++)
		if (rp_table[i].nr >= 0 && rp_table[i].nr < RP_MAX_NR)
			rp_by_nr[rp_table[i].nr] = &rp_table[i];
}

const struct rp_kspec *rp_spec(long nr)
{
	return nr >= 0 && nr < RP_MAX_NR ? rp_by_nr[nr] : NULL;
}

int rp_spec_policy(const struct rp_kspec *s)
{
	return s ? s->policy : -1;
}

/* ---- reading tracee memory ---- */

struct rp_walk;
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

static bool rp_read(struct rp_walk *w, void *dst, u64 addr, u32 size)
{
	if (w->may_fault)
		return !copy_from_user(dst, (const void __user *)addr, size);
	if (!copy_from_user_nofault(dst, (const void __user *)addr, size))
		return true;
	w->fault = true;
	return false;
}

static bool rp_rd(struct rp_walk *w, u64 addr, int size, u64 *out)
{
	u64 v = 0;

	if (!rp_read(w, &v, addr, size))
		return false;
	*out = size == 4 ? (u32)v : v;
	return true;
}

/* Copies a page-bounded prefix: exact where an unreadable page begins. */
static u64 rp_copy_prefix(void *dst, u64 addr, u64 len)
{
	u64 done = 0;

	while (done < len) {
		u64 a = addr + done;
		u64 n = min(len - done, (u64)(PAGE_SIZE - (a & ~PAGE_MASK)));

		if (copy_from_user((u8 *)dst + done, (const void __user *)a, n))
			break;
		done += n;
	}
	return done;
}

static long rp_strlen(struct rp_walk *w, u64 addr)
{
	char buf[64];
	long len = 0;

	while (len < RP_STR_MAX) {
		u64 a = addr + len;
		u32 n = min_t(u64, sizeof(buf), PAGE_SIZE - (a & ~PAGE_MASK));
		u32 i;

		n = min_t(u32, n, RP_STR_MAX - len);
		if (!rp_read(w, buf, a, n))
			return len ? len : -1;
		for (i = 0; i < n; i++)
			if (!buf[i])
				return len + i;
		len += n;
	}
	return len;
}

long rp_strncpy_nofault(char *dst, u64 addr, long max)
{
	struct rp_walk w = { .may_fault = false };
	long n = rp_strlen(&w, addr);

	if (n < 0 || n > max || copy_from_user_nofault(dst, (const void __user *)addr, n))
		return -1;
	return n;
}

/* ---- the regions of one syscall (mirrors common/buffers.cc) ---- */

static bool rp_add(struct rp_walk *w, u32 idx, u32 flags, u64 addr, u64 len)
{
	struct rp_region rg = { .addr = addr, .len = len, .idx = idx, .flags = flags };

	if (!addr || !len || w->abort)
		return !w->abort;
	if (!w->visit(w, &rg))
		w->abort = true;
	return !w->abort;
}

static void rp_add_iov(struct rp_walk *w, u32 idx, u32 flags, u64 iov, u64 n, u64 limit)
{
	u64 i;

	n = min_t(u64, n, RP_MAX_IOV);
	for (i = 0; i < n && limit > 0 && !w->abort; i++) {
		u64 base, len, take;

		if (!rp_rd(w, iov + i * 16, 8, &base) || !rp_rd(w, iov + i * 16 + 8, 8, &len))
			return;
		take = min(len, limit);
		rp_add(w, idx, flags, base, take);
		limit -= take;
	}
}

static void rp_add_msghdr_out(struct rp_walk *w, u32 idx, u64 m, u64 data_len, u32 name_cap,
			      u32 ctl_cap)
{
	u64 name, namelen, iov, iovlen, ctl, ctllen;

	rp_add(w, idx, 0, m, RP_SIZEOF_MSGHDR);
	if (rp_rd(w, m, 8, &name) && rp_rd(w, m + 8, 4, &namelen))
		rp_add(w, idx, 0, name, min_t(u64, namelen, name_cap));
	if (rp_rd(w, m + 16, 8, &iov) && rp_rd(w, m + 24, 8, &iovlen))
		rp_add_iov(w, idx, 0, iov, iovlen, data_len);
	if (rp_rd(w, m + 32, 8, &ctl) && rp_rd(w, m + 40, 8, &ctllen))
		rp_add(w, idx, 0, ctl, min_t(u64, ctllen, ctl_cap));
}

static u64 rp_ioctl_size(u64 req)
{
	u64 dir = (req >> 30) & 3, size = (req >> 16) & 0x3fff;

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
	return (dir & 2) ? size : 0;
}

static bool rp_is_error(s64 ret)
{
	return ret < 0 && ret > -4096;
}

static void rp_walk_outputs(struct rp_walk *w)
{
	const struct rp_rec_syscall *rec = w->rec;
	const u64 *args = rec->args;
	bool failed = rp_is_error(rec->ret);
	u64 uret = failed || rec->ret < 0 ? 0 : (u64)rec->ret;
	int k;

	for (k = 0; k < 4 && !w->abort; k++) {
		const struct rp_kout *o = &w->s->out[k];
		u64 p, v, i;

		if (o->arg < 0 || o->kind == RP_SZ_NONE)
			continue;
		p = args[o->arg];
		if (!p)
			continue;
		switch (o->kind) {
		case RP_SZ_FIXED:
			rp_add(w, k, 0, p, o->p1);
			break;
		case RP_SZ_RET:
			rp_add(w, k, 0, p, uret * o->p1);
			break;
		case RP_SZ_ARG:
			if (!failed)
				rp_add(w, k, 0, p, args[o->p1]);
			break;
		case RP_SZ_ARGMUL:
			if (!failed)
				rp_add(w, k, 0, p, args[o->p1] * o->p2);
			break;
		case RP_SZ_LENPTR:
			if (!failed && args[o->p1] && rp_rd(w, args[o->p1], 4, &v))
				rp_add(w, k, 0, p, min3(v, (u64)rec->entry_len[0],
							(u64)RP_MAX_SOCKADDR * 32));
			break;
		case RP_SZ_IOV:
			if (!failed)
				rp_add_iov(w, k, 0, p, args[o->p1], uret);
			break;
		case RP_SZ_MSGHDR:
			if (!failed)
				rp_add_msghdr_out(w, k, p, uret, rec->entry_len[0], rec->entry_len[1]);
			break;
		case RP_SZ_MMSGHDR:
			for (i = 0; i < uret && i < RP_MAX_IOV && !w->abort; i++) {
				u64 m = p + i * RP_SIZEOF_MMSGHDR;
				bool got = rp_rd(w, m + 56, 4, &v);

				rp_add(w, k, 0, m, RP_SIZEOF_MMSGHDR);
				if (got)
					rp_add_msghdr_out(w, k, m, v, RP_MAX_SOCKADDR, 1 << 20);
			}
			break;
		case RP_SZ_MMSGLEN:
			for (i = 0; i < uret && i < RP_MAX_IOV; i++)
				rp_add(w, k, 0, p + i * RP_SIZEOF_MMSGHDR + 56, 4);
			break;
		case RP_SZ_IOCTL:
			if (!failed)
				rp_add(w, k, 0, p, rp_ioctl_size(args[1]));
			break;
		case RP_SZ_FCNTL:
			if (!failed && (args[1] == 5 /* F_GETLK */ || args[1] == 36 /* F_OFD_GETLK */))
				rp_add(w, k, 0, p, RP_SIZEOF_FLOCK);
			break;
		case RP_SZ_FDSET:
			if (!failed)
				rp_add(w, k, 0, p, (min_t(u64, args[0], 1 << 20) + 63) / 64 * 8);
			break;
		case RP_SZ_PAGES:
			if (!failed)
				rp_add(w, k, 0, p, (args[o->p1] + 4095) / 4096);
			break;
		case RP_SZ_BITS:
			if (!failed)
				rp_add(w, k, 0, p, (min_t(u64, args[o->p1], 1 << 16) + 63) / 64 * 8);
			break;
		case RP_SZ_HANDLE:
			if (rp_rd(w, p, 4, &v))
				rp_add(w, k, 0, p, 8 + min_t(u64, v, 128));
			break;
		}
	}
}

static void rp_walk_inputs(struct rp_walk *w)
{
	const struct rp_kspec *s = w->s;
	const u64 *args = w->rec->args;
	u64 p, iov, iovlen;
	int i;

	for (i = 0; i < 6 && s->kinds[i] && !w->abort; i++) {
		struct rp_region rg = { .addr = args[i], .idx = RP_DATA_IDX_STR(i),
					.flags = RP_DATAF_INPUT };
		long n;

		if (s->kinds[i] != 's' || !args[i])
			continue;
		if (s->policy == RP_POLICY_EXECVE && w->xpath && w->xpath_len) {
			/* The old mm is gone after a successful execve: the copy
			 * made at entry (or at exec) has the path. */
			rg.kbuf = w->xpath;
			rg.len = w->xpath_len;
		} else if (s->policy == RP_POLICY_EXECVE && w->rec->ret == 0) {
			continue;
		} else {
			n = rp_strlen(w, args[i]);
			if (n <= 0)
				continue;
			rg.len = n;
		}
		if (!w->visit(w, &rg))
			w->abort = true;
	}
	if (s->in.arg < 0 || !args[s->in.arg] || w->abort)
		return;
	p = args[s->in.arg];
	switch (s->in.kind) {
	case RP_SZ_ARG:
		rp_add(w, RP_DATA_IDX_INPUT, RP_DATAF_INPUT, p, args[s->in.p1]);
		break;
	case RP_SZ_IOV:
		rp_add_iov(w, RP_DATA_IDX_INPUT, RP_DATAF_INPUT, p, args[s->in.p1], U64_MAX);
		break;
	case RP_SZ_MSGHDR:
		if (rp_rd(w, p + 16, 8, &iov) && rp_rd(w, p + 24, 8, &iovlen))
			rp_add_iov(w, RP_DATA_IDX_INPUT, RP_DATAF_INPUT, iov, iovlen, U64_MAX);
		break;
	}
}

static u64 rp_at_random(void)
{
	struct mm_struct *mm = current->mm;
	int i;

	if (!mm)
		return 0;
	for (i = 0; i + 1 < AT_VECTOR_SIZE && mm->saved_auxv[i] != AT_NULL; i += 2)
		if (mm->saved_auxv[i] == AT_RANDOM)
			return mm->saved_auxv[i + 1];
	return 0;
}

static void rp_walk_all(struct rp_walk *w)
{
	const struct rp_rec_syscall *rec = w->rec;

	w->abort = false;
	if (!w->s)
		return;
	if (w->cfg_flags & RP_KMOD_F_INPUTS)
		rp_walk_inputs(w);
	rp_walk_outputs(w);
	if (w->s->policy == RP_POLICY_EXECVE && rec->ret == 0)
		/* The kernel's 16 random bytes on the new stack (stack protector
		 * and pointer guard seeds): replay writes them back. */
		rp_add(w, RP_DATA_IDX_EXTRA, 0, rp_at_random(), 16);
	if (w->s->policy == RP_POLICY_MMAP && !rp_is_error(rec->ret) &&
	    !(rec->args[3] & MAP_ANONYMOUS)) {
		/* Replay has no file: keep what the mapping shows. Its pages
		 * are not present yet, so only the slow path can read them. */
		if (!w->may_fault)
			w->needs_slow = true;
		else
			rp_add(w, RP_DATA_IDX_EXTRA, 0, rec->ret, rec->args[1]);
	}
}

/* ---- visitors ---- */

static u32 rp_data_size(u64 len)
{
	return ALIGN(sizeof(struct rp_rec_data) + len, 8);
}

static bool rp_count(struct rp_walk *w, const struct rp_region *rg)
{
	u64 off;

	for (off = 0; off < rg->len; off += RP_CHUNK) {
		w->nrec++;
		w->bytes += rp_data_size(min_t(u64, rg->len - off, RP_CHUNK));
	}
	/* The fast path gives up early on outputs it will not take anyway. */
	return w->may_fault || w->bytes <= RP_FAST_MAX;
}

static void rp_fill_data_hdr(struct rp_rec_data *d, const struct rp_walk *w,
			     const struct rp_region *rg, u64 off, u32 len)
{
	d->len = len;
	d->out_index = rg->idx;
	d->seq = w->rec->seq;
	d->addr = rg->addr + off;
}

static bool rp_fast_copy(struct rp_walk *w, const struct rp_region *rg)
{
	u64 off;

	for (off = 0; off < rg->len; off += RP_CHUNK) {
		u32 len = min_t(u64, rg->len - off, RP_CHUNK);
		u32 size = rp_data_size(len);
		struct rp_rec_data *d = (struct rp_rec_data *)w->cur;

		if (w->cur + size > w->end)
			return false;  /* the tracee changed its structures meanwhile */
		rp_fill_data_hdr(d, w, rg, off, len);
		if (rg->kbuf)
			memcpy(d + 1, rg->kbuf + off, len);
		else if (copy_from_user_nofault(d + 1, (const void __user *)(rg->addr + off), len))
			return false;
		d->h.size = size;
		d->h.flags = rg->flags;
		if (d != w->first)
			d->h.type = RP_REC_DATA;
		else
			w->first_flags = rg->flags;
		w->cur += size;
		w->nrec++;
	}
	return true;
}

static bool rp_slow_copy(struct rp_walk *w, const struct rp_region *rg)
{
	bool readable = true;
	u64 off;

	for (off = 0; off < rg->len; off += RP_CHUNK) {
		u32 len = min_t(u64, rg->len - off, RP_CHUNK);
		u32 size = rp_data_size(len), got = 0;
		struct rp_rec_data *d = rp_ring_reserve_wait(w->ring, size);

		if (!d) {
			atomic64_inc(&rp->st.lost);
			return false;
		}
		if (rg->kbuf) {
			memcpy(d + 1, rg->kbuf + off, len);
			got = len;
		} else if (readable) {
			got = rp_copy_prefix(d + 1, rg->addr + off, len);
			readable = got == len;
			if (!readable)
				atomic64_inc(&rp->st.copy_faults);
		}
		rp_fill_data_hdr(d, w, rg, off, got);
		rp_ring_commit(w->ring, d, RP_REC_DATA, rg->flags, size);
		atomic64_inc(&rp->st.records);
		atomic64_add(size, &rp->st.bytes);
		w->nrec++;
	}
	return true;
}

/* ---- the two paths ---- */

/* Data records come first and the syscall record last, with ndata: the
 * decoder completes an event when its syscall record arrives (the same
 * order as the eBPF backend). */
bool rp_emit_fast(struct rp_ring *r, struct rp_rec_syscall *rec, const struct rp_kspec *s,
		  u32 flags, const char *xpath, u32 xpath_len)
{
	struct rp_walk w = { .s = s, .rec = rec, .cfg_flags = flags, .xpath = xpath,
			     .xpath_len = xpath_len, .may_fault = false, .visit = rp_count };
	struct rp_rec_syscall *sys;
	u32 total, data;
	u8 *span;

	rp_walk_all(&w);
	if (w.fault)
		atomic64_inc(&rp->st.copy_faults);
	if (w.fault || w.needs_slow || w.abort)
		return false;
	data = w.bytes;
	total = data + sizeof(*rec);
	if (total > r->size / 4)
		return false;
	span = rp_ring_reserve(r, total);
	if (!span) {
		atomic64_inc(&rp->st.ring_full);
		return false;
	}
	/* One reservation for the whole event; its first record stays busy
	 * (type 0) until everything behind it is written. */
	w.visit = rp_fast_copy;
	w.cur = span;
	w.end = span + data;
	w.first = (struct rp_rec_data *)span;
	w.nrec = 0;
	if (data)
		rp_walk_all(&w);
	if (w.abort || w.fault || w.cur != w.end) {
		/* Nothing visible was emitted: the span becomes filler. */
		atomic64_inc(&rp->st.copy_faults);
		rp_ring_commit(r, span, RP_REC_PAD, 0, total);
		return false;
	}
	rec->ndata = w.nrec;
	sys = (struct rp_rec_syscall *)(span + data);
	*sys = *rec;
	sys->h.size = sizeof(*rec);
	sys->h.type = data ? RP_REC_SYSCALL : 0;
	if (data)
		rp_ring_commit(r, span, RP_REC_DATA, w.first_flags, w.first->h.size);
	else
		rp_ring_commit(r, span, RP_REC_SYSCALL, rec->h.flags, sizeof(*rec));
	atomic64_add(1 + rec->ndata, &rp->st.records);
	atomic64_add(total, &rp->st.bytes);
	return true;
}

void rp_emit_slow(struct rp_ring *r, struct rp_rec_syscall *rec, const struct rp_kspec *s,
		  u32 flags, const char *xpath, u32 xpath_len)
{
	struct rp_walk w = { .s = s, .rec = rec, .cfg_flags = flags, .xpath = xpath,
			     .xpath_len = xpath_len, .may_fault = true, .visit = rp_slow_copy,
			     .ring = r };
	struct rp_rec_syscall *p;

	rp_walk_all(&w);
	rec->ndata = w.nrec;
	rec->h.flags |= RP_SYSF_DEFERRED;
	p = rp_ring_reserve_wait(r, sizeof(*rec));
	if (!p) {
		atomic64_inc(&rp->st.lost);
		return;
	}
	memcpy((u8 *)p + sizeof(p->h), (u8 *)rec + sizeof(rec->h), sizeof(*rec) - sizeof(rec->h));
	rp_ring_commit(r, p, RP_REC_SYSCALL, rec->h.flags, sizeof(*rec));
	atomic64_inc(&rp->st.records);
	atomic64_add(sizeof(*rec), &rp->st.bytes);
}

bool rp_spec_has_lenptr(const struct rp_kspec *s, int *arg, int *msghdr_arg)
{
	int k;

	*arg = *msghdr_arg = -1;
	for (k = 0; k < 4; k++) {
		if (s->out[k].kind == RP_SZ_LENPTR)
			*arg = s->out[k].p1;
		else if (s->out[k].kind == RP_SZ_MSGHDR)
			*msghdr_arg = s->out[k].arg;
	}
	return *arg >= 0 || *msghdr_arg >= 0;
}

int rp_spec_str_arg(const struct rp_kspec *s)
{
	int i;

	for (i = 0; i < 6 && s->kinds[i]; i++)
		if (s->kinds[i] == 's')
			return i;
	return -1;
}
