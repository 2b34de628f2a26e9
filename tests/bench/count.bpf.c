// SPDX-License-Identifier: GPL-2.0
/* The benchmark's floor (issue 12): what merely counting syscalls costs on the
 * hooks rp's eBPF backend uses (tp_btf sys_enter/sys_exit, sched_process_fork),
 * with the same first step (is this tgid traced?), and nothing else: one
 * per-CPU counter per syscall number at entry and at exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "rp_bpf.h" /* RP_TGID_*: the traced set's layout, as rp's */

char LICENSE[] SEC("license") = "GPL";

#define COUNT_NR 1024 /* syscall numbers counted; larger ones land in the last slot */

/* The traced set, a bit per tgid, as rp.bpf.c's (count.c sets the first). */
__u64 rp_tgid_bits[RP_TGID_WORDS] __attribute__((aligned(64)));

/* [0, COUNT_NR): entries by number, [COUNT_NR, 2 * COUNT_NR): exits */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * COUNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline __u64 *tgid_word(__u32 t)
{
	barrier_var(t); /* keeps the index's mask for the verifier (rp.bpf.c) */
	return &rp_tgid_bits[RP_TGID_WORD(t)];
}

static __always_inline bool tgid_traced(__u32 tgid)
{
	return tgid < RP_TGID_LIMIT && (*tgid_word(tgid) & RP_TGID_MASK(tgid));
}

static __always_inline bool traced(void)
{
	return tgid_traced(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline void count(long nr, __u32 base)
{
	__u32 i = (nr >= 0 && nr < COUNT_NR ? (__u32)nr : COUNT_NR - 1) + base;
	__u64 *c = bpf_map_lookup_elem(&counts, &i);
	if (c)
		*c += 1;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(count_enter, struct pt_regs *regs, long id)
{
	if (traced())
		count(id, 0);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(count_exit, struct pt_regs *regs, long ret)
{
	if (!traced())
		return 0;
#if defined(__TARGET_ARCH_arm64)
	count(regs->syscallno, COUNT_NR);
#else
	count(regs->orig_ax, COUNT_NR);
#endif
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(count_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	if (ptgid == ctgid || ctgid >= RP_TGID_LIMIT)
		return 0;
	if (tgid_traced(ptgid))
		__sync_fetch_and_or(tgid_word(ctgid), RP_TGID_MASK(ctgid));
	else if (tgid_traced(ctgid)) /* a pid reused: no exit hook here clears it */
		__sync_fetch_and_and(tgid_word(ctgid), ~RP_TGID_MASK(ctgid));
	return 0;
}
