/* rp_regions.bpf.h — part of rp.bpf.c (included after its maps and helpers):
 * where a syscall's buffers are and how their bytes get into the ring. The
 * rules mirror common/buffers.cc, read from the same syscalls.def. */
#ifndef RP_REGIONS_BPF_H
#define RP_REGIONS_BPF_H

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

#endif
