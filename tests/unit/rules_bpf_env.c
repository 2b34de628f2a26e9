/* record/bpf/rp_rules_bpf.h — the table, sink and callbacks rp.bpf.c runs —
 * compiled for user space. Stand-ins: the two BPF helpers it calls
 * (bpf_probe_read_user, bpf_loop, with the kernel's semantics) and
 * put_region, which in BPF copies a region into the ring. */
#include <string.h>
#include <linux/types.h>

#include "rules_env.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))

static const struct rules_mem *cur_mem;
static struct rules_result *cur_res;

static long bpf_probe_read_user(void *dst, __u32 size, const void *src)
{
	if (cur_mem->read(cur_mem->ctx, (uint64_t)(uintptr_t)src, dst, size))
		return 0;
	memset(dst, 0, size);
	return -14; /* -EFAULT, and the destination zeroed, as the helper does */
}

/* Calls fn for i < n until it returns non-zero; returns the calls made. */
static long bpf_loop(__u32 n, long (*fn)(__u32, void *), void *ctx, __u64 flags)
{
	__u32 i;

	(void)flags;
	if (n > (1u << 23))
		return -7; /* -E2BIG */
	for (i = 0; i < n;)
		if (fn(i++, ctx))
			break;
	return i;
}

#include "rp_rules_bpf.h"

static __u64 file_end(__u64 addr)
{
	return addr == RULES_FILE_MAP ? RULES_FILE_MAP_END : 0;
}

__noinline int put_region(struct sink *k, __u64 addr, __u64 len)
{
	if (k && addr && len && !k->fail && rules_add(cur_res, addr, len, k->idx, k->flags))
		k->ndata++;
	return 0;
}

void rules_bpf_walk(long nr, const uint64_t args[6], int64_t ret, const struct rules_mem *entry,
		    const struct rules_mem *exit, struct rules_result *res)
{
	const struct bspec *s = spec_of(rp_buffers_nr(nr, (const __u64 *)args));
	struct emit e = {};

	rules_begin(res, &e.rec, nr, args, ret);
	if (!s)
		return;
	cur_res = res;
	cur_mem = entry; /* sys_enter */
	save_entry_lens(s, e.rec.args, e.rec.entry_len);
	cur_mem = exit;  /* sys_exit */
	put_buffers(&e, s, true);
	res->deferred = e.k.fail != 0;
}

bool rules_bpf_record_only(long nr)
{
	const struct bspec *s = spec_of(nr);

	return s && spec_record_only(s);
}
