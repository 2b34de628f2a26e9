/* kmod/rp_rules_kmod.h — the table, walk and sink rp_capture.c runs —
 * compiled for user space. Stand-ins: the kernel types and the two user copy
 * functions (probe context's nofault one and the slow path's faulting one). */
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "rules_env.h"

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
#define __user
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct rules_mem *cur_mem;
static struct rules_result *cur_res;

static unsigned long copy_from_user(void *dst, const void *src, unsigned long n)
{
	return cur_mem->read(cur_mem->ctx, (uint64_t)(uintptr_t)src, dst, n) ? 0 : n;
}

static long copy_from_user_nofault(void *dst, const void *src, size_t n)
{
	return cur_mem->read(cur_mem->ctx, (uint64_t)(uintptr_t)src, dst, n) ? 0 : -14;
}

static bool rp_fd_reads(u64 fd)
{
	return fd == RULES_READ_FD;
}

static bool rp_bpf_map(u64 fd, u64 *key, u64 *value)
{
	if (fd != RULES_BPF_MAP_FD)
		return false;
	*key = RULES_BPF_MAP_KEY;
	*value = RULES_BPF_MAP_VALUE;
	return true;
}

static u64 rp_file_end(u64 addr)
{
	return addr == RULES_FILE_MAP ? RULES_FILE_MAP_END : 0;
}

#include "rp_rules_kmod.h"

static bool collect(struct rp_walk *w, const struct rp_region *rg)
{
	(void)w;
	return rules_add(cur_res, rg->addr, rg->len, rg->idx, rg->flags);
}

static const struct rp_kspec *spec_by_nr(long nr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rp_table); i++)
		if (rp_table[i].nr == nr)
			return &rp_table[i];
	return NULL;
}

/* rp_walk_all's order: the fast path (nofault) first; where it faulted the
 * module completes the call on the slow path, which may fault. */
void rules_kmod_walk(long nr, const uint64_t args[6], int64_t ret, const struct rules_mem *entry,
		     const struct rules_mem *exit, struct rules_result *res)
{
	const struct rp_kspec *s = spec_by_nr(rp_buffers_nr(nr, (const __u64 *)args));
	struct rp_rec_syscall rec;
	struct rp_walk w;
	int i;

	rules_begin(res, &rec, nr, args, ret);
	if (!s)
		return;
	cur_res = res;
	cur_mem = entry;
	rp_walk_entry_lens(s, rec.args, rec.entry_len);
	cur_mem = exit;
	for (i = 0; i < 2; i++) {
		memset(&w, 0, sizeof(w));
		w.s = s;
		w.rec = &rec;
		w.may_fault = i == 1;
		w.visit = collect;
		res->n = 0;
		rp_walk_input(&w);
		rp_walk_outputs(&w);
		if (!w.fault)
			return;
		res->deferred = true;
	}
}
