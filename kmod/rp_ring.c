// SPDX-License-Identifier: GPL-2.0
/* The /dev/rp ring: one multi-producer, single-consumer byte ring shared with
 * user space by mmap. Producers reserve under a spinlock (short: pointer
 * arithmetic only) and fill their record outside it; a record's type is
 * written last with release semantics, so the consumer stops at the first
 * record still being written. Records never wrap: the tail end of the ring
 * is filled with a PAD record instead, which keeps every record contiguous
 * for both the kernel's copies and the reader.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>

#include "rp_internal.h"

int rp_ring_init(struct rp_ring *r, u64 size, u64 wake_bytes)
{
	void *area = vmalloc_user(RP_KMOD_DATA_OFFSET + size);

	if (!area)
		return -ENOMEM;
	r->hdr = area;
	r->data = (u8 *)area + RP_KMOD_DATA_OFFSET;
	r->size = size;
	r->mask = size - 1;
	r->head = r->tail = 0;
	r->wake_bytes = wake_bytes;
	r->dead = false;
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->readers);
	init_waitqueue_head(&r->writers);
	atomic_set(&r->waiting, 0);
	r->hdr->ring_bytes = size;
	r->hdr->data_offset = RP_KMOD_DATA_OFFSET;
	/* poll() does not take the ioctl lock: it must see a whole ring. */
	smp_store_release(&r->area, area);
	return 0;
}

void rp_ring_free(struct rp_ring *r)
{
	vfree(r->area);
	r->area = NULL;
	r->hdr = NULL;
	r->data = NULL;
}

static u64 rp_ring_pending(struct rp_ring *r)
{
	return READ_ONCE(r->head) - READ_ONCE(r->tail);
}

void *rp_ring_reserve(struct rp_ring *r, u32 len)
{
	struct rp_rec_hdr *h;
	u64 off, pad;

	spin_lock(&r->lock);
	off = r->head & r->mask;
	pad = off + len > r->size ? r->size - off : 0;
	if (r->dead || pad + len > r->size - (r->head - r->tail)) {
		spin_unlock(&r->lock);
		return NULL;
	}
	if (pad) {
		h = (struct rp_rec_hdr *)(r->data + off);
		h->size = pad;
		h->flags = 0;
		smp_store_release(&h->type, (u16)RP_REC_PAD);
		r->head += pad;
	}
	h = (struct rp_rec_hdr *)(r->data + (r->head & r->mask));
	h->size = len;
	h->flags = 0;
	WRITE_ONCE(h->type, 0);
	r->head += len;
	/* Orders the busy header before the new head for the consumer. */
	smp_store_release(&r->hdr->head, r->head);
	spin_unlock(&r->lock);
	return h;
}

static bool rp_ring_fits(struct rp_ring *r, u32 len)
{
	/* Worst case the record needs padding up to the ring's end first. */
	return r->size - rp_ring_pending(r) >= 2 * (u64)len;
}

void *rp_ring_reserve_wait(struct rp_ring *r, u32 len)
{
	bool stalled = false;
	void *p;

	might_sleep();
	while (!(p = rp_ring_reserve(r, len))) {
		if (READ_ONCE(r->dead))
			return NULL;
		if (!stalled) {
			atomic64_inc(&rp->st.stalls);
			stalled = true;
		}
		atomic_inc(&r->waiting);
		/* Below the wake threshold the drainer may be asleep: it must run now. */
		wake_up_interruptible(&r->readers);
		/* TASK_IDLE: a long wait for a slow drainer is neither load nor a hung task. */
		wait_event_idle(r->writers, rp_ring_fits(r, len) || READ_ONCE(r->dead));
		atomic_dec(&r->waiting);
	}
	return p;
}

void rp_ring_commit_quiet(struct rp_ring *r, void *rec, u16 type, u16 flags, u32 size)
{
	struct rp_rec_hdr *h = rec;

	h->flags = flags;
	h->size = size;
	smp_store_release(&h->type, type);
}

void rp_ring_wake(struct rp_ring *r)
{
	if (wq_has_sleeper(&r->readers) && rp_ring_readable(r))
		wake_up_interruptible(&r->readers);
}

void rp_ring_commit(struct rp_ring *r, void *rec, u16 type, u16 flags, u32 size)
{
	rp_ring_commit_quiet(r, rec, type, flags, size);
	rp_ring_wake(r);
}

int rp_ring_consume(struct rp_ring *r, u64 new_tail)
{
	spin_lock(&r->lock);
	if (new_tail < r->tail || new_tail > r->head || (new_tail & 7)) {
		spin_unlock(&r->lock);
		return -EINVAL;
	}
	r->tail = new_tail;
	WRITE_ONCE(r->hdr->tail, new_tail);
	spin_unlock(&r->lock);
	if (atomic_read(&r->waiting))
		wake_up_all(&r->writers);
	return 0;
}

/* Batching: the drainer sleeps until wake_bytes are pending, unless a writer
 * waits for space or recording stopped; and never while the record at the
 * tail is still being written (it could not get past it: it would spin). */
bool rp_ring_readable(struct rp_ring *r)
{
	u64 tail = READ_ONCE(r->tail), pending = READ_ONCE(r->head) - tail;
	struct rp_rec_hdr *h = (struct rp_rec_hdr *)(r->data + (tail & r->mask));

	if (!pending || !smp_load_acquire(&h->type))
		return false;
	return pending >= r->wake_bytes || atomic_read(&r->waiting) || !READ_ONCE(rp->running);
}

void rp_ring_kill(struct rp_ring *r)
{
	spin_lock(&r->lock);
	r->dead = true;
	spin_unlock(&r->lock);
	wake_up_all(&r->writers);
	wake_up_all(&r->readers);
}
