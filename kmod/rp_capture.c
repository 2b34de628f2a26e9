// SPDX-License-Identifier: GPL-2.0
/* What a syscall's records carry. Which regions those are is decided by
 * common/rp_rules.h (the same code the ptrace and eBPF backends run), in its
 * kernel environment (rp_rules_kmod.h); here one walker serves
 * both paths: the fast one in probe context (nothing may fault, everything or
 * nothing is emitted) and the slow one at return to user space (faults are
 * served, and an unreadable page ends its region like process_vm_readv).
 */
#include <linux/auxvec.h>
#include <linux/bpf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "rp_internal.h"

/* A bpf map's key and value bytes (bpf's lookups, rp_rules.h): the file of
 * a map fd is an anonymous inode named "bpf-map" whose private data is the
 * map (kernel/bpf/syscall.c); fget and fput may run in atomic context. */
static bool rp_bpf_map(u64 fd, u64 *key, u64 *value)
{
	const struct bpf_map *map;
	struct file *f;
	bool is_map;

	if (fd > INT_MAX)
		return false;
	f = fget((unsigned int)fd);
	if (!f)
		return false;
	is_map = strcmp(f->f_path.dentry->d_name.name, "bpf-map") == 0 && f->private_data;
	if (is_map) {
		map = f->private_data;
		*key = map->key_size;
		*value = rp_bpf_value_bytes(map->map_type, map->value_size, num_possible_cpus());
	}
	fput(f);
	return is_map;
}

/* vmsplice's direction (rp_rules.h): fget and fput may run in the probe's
 * atomic context. */
static bool rp_fd_reads(u64 fd)
{
	struct file *f;
	bool reads;

	if (fd > INT_MAX)
		return false;
	f = fget((unsigned int)fd);
	if (!f)
		return false;
	reads = f->f_mode & FMODE_READ;
	fput(f);
	return reads;
}

/* Where the file's bytes end in the current task's mapping at addr, 0 if it
 * maps no file (a grown mremap's new bytes, rp_rules.h): pages past the
 * file's end raise SIGBUS. The probe may not sleep on mmap_lock: if another
 * thread holds it, the whole range is taken (a grown anonymous mapping's
 * zeros, which replay writes over its own; past a file's end the walk stops
 * at the first unreadable page). */
static u64 rp_file_end(u64 addr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 end = 0;

	if (!mm || !mmap_read_trylock(mm))
		return ~0ull;
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && vma->vm_file)
		end = rp_file_map_end(vma->vm_start, vma->vm_end, vma->vm_pgoff,
				      i_size_read(file_inode(vma->vm_file)), PAGE_SHIFT);
	mmap_read_unlock(mm);
	return end;
}

#include "rp_rules_kmod.h"

#define RP_MAX_NR 512
#define RP_CHUNK 65536u         /* payload bytes per data record */
#define RP_STR_MAX 4096         /* like read_cstring() in user space */
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

/* ---- the regions of one syscall (common/rp_rules.h) ---- */

static void rp_walk_inputs(struct rp_walk *w)
{
	const struct rp_kspec *s = w->s;
	const u64 *args = w->rec->args;
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
	rp_walk_input(w);
}

static u64 rp_at_random(void)
{
	struct mm_struct *mm = current->mm;
	u64 addr = 0;

	if (!mm)
		return 0;
#define RP_AUXV_WORD(i) mm->saved_auxv[i]
	RP_AUXV_FIND_RANDOM(RP_AUXV_WORD, AT_VECTOR_SIZE, &addr);
#undef RP_AUXV_WORD
	return addr;
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
		rp_add(w, RP_DATA_IDX_EXTRA, 0, rp_at_random(), RP_AT_RANDOM_LEN);
	if (rp_is_file_mmap(w->s->policy, rec->ret, rec->args)) {
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
	d->out_index = RP_DATA_INDEX(rg->idx, w->nrec);
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

void rp_spec_entry_lens(const struct rp_kspec *s, const u64 *args, u32 len[2])
{
	rp_walk_entry_lens(s, args, len);
}

int rp_spec_str_arg(const struct rp_kspec *s)
{
	int i;

	for (i = 0; i < 6 && s->kinds[i]; i++)
		if (s->kinds[i] == 's')
			return i;
	return -1;
}
