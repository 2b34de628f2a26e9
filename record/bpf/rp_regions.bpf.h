/* rp_regions.bpf.h — part of rp.bpf.c (included after its maps and helpers):
 * how the bytes of a syscall's buffers get into the ring. Which buffers those
 * are is common/rp_rules.h's, in its BPF environment (rp_rules_bpf.h). */
#ifndef RP_REGIONS_BPF_H
#define RP_REGIONS_BPF_H

#include "rp_rules_bpf.h"

/* The sink by pointer, not a copy: each frame of the deepest call chain
 * (sys_exit, outputs, msghdr, iovec, region, chunk) counts against 512 bytes
 * of stack, in 32-byte steps on Debian 6.1; this one drops to one step, which
 * 6.1 on arm64 needed once the syscall record grew (times: 544 bytes). */
struct chunk_ctx {
	__u64 addr, len;
	struct sink *k;
};

/* Where a data record of up to MAX payload bytes goes after those packed so
 * far (rp.bpf.c, PACK_ROOM), or 0: it then gets a ring record of its own. */
static __always_inline struct rp_rec_data *pack_room(struct sink *k, struct emit_slot *sl, __u64 max)
{
	__u32 used = k->packed;

	if (!sl || max > PACK_ROOM || used + DATA_HDR + max > PACK_ROOM)
		return 0;
	barrier_var(used);
	if (used > PACK_ROOM)
		return 0;
	return (struct rp_rec_data *)(sl->data + used);
}

/* d, filled with LEN payload bytes from ADDR, becomes a packed data record. */
static __always_inline void pack_commit(struct sink *k, struct rp_rec_data *d, __u32 len,
					__u32 idx, __u32 flags, __u64 addr)
{
	d->h.size = (DATA_HDR + len + 7) & ~7u;
	d->h.type = RP_REC_DATA;
	d->h.flags = flags;
	d->len = len;
	d->out_index = RP_DATA_INDEX(idx, k->ndata);
	d->seq = k->seq;
	d->addr = addr;
	k->packed += d->h.size;
	k->ndata++;
	k->npacked++;
}

/* The chunk at OFF, of LEFT bytes, packed if it fits: 0 packed, 1 failed (a
 * fault), -1 it does not fit. */
static __always_inline int pack_chunk(struct chunk_ctx *c, __u64 off, __u64 left)
{
	struct rp_rec_data *d = pack_room(c->k, slot_of(c->k->slot), left);

	if (!d)
		return -1;
	__u32 n = left;
	barrier_var(n);
	if (n > PACK_ROOM)
		return -1;
	if (bpf_probe_read_user(d + 1, n, (void *)(c->addr + off))) {
		c->k->fail |= FAIL_COPY;
		return 1;
	}
	pack_commit(c->k, d, n, c->k->idx, c->k->flags, c->addr + off);
	return 0;
}

/* One data record of at most CAP payload bytes: the ring only reserves
 * constant sizes, so records come in a few size classes. */
#define PUT_CHUNK(CAP)                                                                 \
	do {                                                                           \
		struct rp_rec_data *d = RESERVE_YIELDING(DATA_HDR + (CAP));         \
		if (!d) {                                                              \
			c->k->fail |= FAIL_RING;                                       \
			return 1;                                                      \
		}                                                                      \
		__u32 n = left > (CAP) ? (CAP) : (__u32)left;                          \
		barrier_var(n);                                                        \
		if (n > (CAP))                                                         \
			n = (CAP);                                                     \
		if (bpf_probe_read_user(d + 1, n, (void *)(c->addr + off))) {          \
			bpf_ringbuf_discard(d, BPF_RB_NO_WAKEUP);                      \
			c->k->fail |= FAIL_COPY;                                       \
			return 1;                                                      \
		}                                                                      \
		d->h.size = (DATA_HDR + n + 7) & ~7u;                                  \
		d->h.type = RP_REC_DATA;                                               \
		d->h.flags = c->k->flags;                                              \
		d->len = n;                                                            \
		d->out_index = RP_DATA_INDEX(c->k->idx, c->k->ndata);                  \
		d->seq = c->k->seq;                                                    \
		d->addr = c->addr + off;                                               \
		bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);                               \
		c->k->ndata++;                                                         \
		COUNT(bytes, DATA_HDR + (CAP));                                        \
		return 0;                                                              \
	} while (0)

/* Chunk i of the region: an offset computed from i, not accumulated, lets
 * the verifier see the loop converge. */
static long chunk_cb(__u32 i, void *ctx)
{
	struct chunk_ctx *c = ctx;
	__u64 off = (__u64)i * CHUNK;

	if (c->k->fail || off >= c->len)
		return 1;
	__u64 left = c->len - off;
	int packed = left <= PACK_ROOM ? pack_chunk(c, off, left) : -1;
	if (packed >= 0)
		return packed;
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
	struct chunk_ctx c = { .addr = addr, .len = len, .k = k };
	bpf_loop(rp_min(len / CHUNK + 1, 1 << 22), chunk_cb, &c, 0);
	return 0;
}

/* Path argument i, without its NUL, like read_cstring() in user space. */
static long str_cb(__u32 i, void *ctx)
{
	struct emit *e = ((struct emit_ref *)ctx)->e;
	const struct bspec *s = spec_of(e->rec.nr);
	__u64 p = rp_arg(e->rec.args, i);

	if (!s || e->k.fail || i >= 6)
		return 1;
	if (!(s->smask & (1u << i)) || !p)
		return 0;
	struct rp_rec_data *d = pack_room(&e->k, slot_of(e->k.slot), STR_MAX);
	bool packed = d != 0;
	if (!packed)
		d = RESERVE_YIELDING(DATA_HDR + STR_MAX);
	if (!d) {
		e->k.fail |= FAIL_RING;
		return 1;
	}
	/* A page that is not present fails here (no faults in this context)
	 * though the kernel could read it: the string is unknown, not empty,
	 * so none is sent, as the module does (replay then has none to check). */
	long n = bpf_probe_read_user_str(d + 1, STR_MAX, (void *)p);
	if (n < 0) {
		if (!packed)
			bpf_ringbuf_discard(d, BPF_RB_NO_WAKEUP);
		return 0;
	}
	__u32 len = n > 0 ? n - 1 : 0;
	if (packed) {
		pack_commit(&e->k, d, len, RP_DATA_IDX_STR(i), RP_DATAF_INPUT, p);
		return 0;
	}
	d->h.size = (DATA_HDR + len + 7) & ~7u;
	d->h.type = RP_REC_DATA;
	d->h.flags = RP_DATAF_INPUT;
	d->len = len;
	d->out_index = RP_DATA_INDEX(RP_DATA_IDX_STR(i), e->k.ndata);
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
#define AUXV_WORD(i) BPF_CORE_READ(mm, saved_auxv[i])
	RP_AUXV_FIND_RANDOM(AUXV_WORD, 56, &addr);
#undef AUXV_WORD
	at(&e->k, RP_DATA_IDX_EXTRA, 0);
	if (addr)
		put_region(&e->k, addr, RP_AT_RANDOM_LEN);
	else
		e->k.fail |= FAIL_USER;
}

#endif
