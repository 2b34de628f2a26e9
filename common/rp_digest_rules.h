/* rp_digest_rules.h — the one copy of the rules of a switch point's memory
 * digest (struct rp_point_digest, rp_abi.h). Compiled as BPF C
 * (record/bpf/rp.bpf.c), kernel C (kmod/rp_switch.c) and C++
 * (common/point_digest.cc, for the ptrace recorder and replay).
 *
 * Without a branch counter, a loop whose state is in memory passes an
 * instruction with the same registers again and again; a switch recorded
 * there matches several passes (docs/design.md, "Checking a switch point").
 * Registers that hold addresses usually point at that state: a frame's
 * locals, a counter's object, a queue's head. So each general register whose
 * value is a user address, other than one into the dead stack under sp, gets
 * its window hashed: the 8-byte aligned bytes from its value on, up to
 * RP_DIGEST_WINDOW and never past a 4 KiB boundary (one page, one read that
 * cannot half-fail). A window the kernel cannot read without a fault (not
 * resident when the eBPF program or the module looks) is left out of the
 * mask; replay compares only the windows the mask names.
 *
 * On x86_64 one more window, slot RP_DIGEST_RED_ZONE, holds the top of the
 * red zone: bytes under rsp a leaf function may keep locals in without
 * moving rsp (a counter at -8(%rsp)), which the kernel's signal frames and
 * replay's trampolines leave alone. Replay compares it with the stacks' (only
 * when the rest leaves a point ambiguous). arm64 Linux has no red zone (and
 * no slot to spare).
 *
 * Plain C with fixed-width types (the BPF verifier's and the kernel's terms).
 */
#ifndef RP_DIGEST_RULES_H
#define RP_DIGEST_RULES_H

#include "rp_abi.h"

#ifndef RP_INLINE
#define RP_INLINE static inline
#endif

#define RP_DIGEST_WINDOW 128        /* bytes hashed per register, at most */
#define RP_DIGEST_PAGE 4096         /* a window never crosses a multiple of this */
#define RP_DIGEST_DEAD_STACK 65536  /* under sp, this far: not the thread's memory now */
#define RP_DIGEST_USER_TOP (1ull << 48)
/* Of x86_64's 128-byte red zone, the part next to rsp: a leaf's locals are
 * laid out from -8(%rsp) down, and the lower part is where the replay
 * agent's entry stub pushed (-136 from the sp of an earlier syscall made from
 * a frame just above this one), bytes the recording did not have. With all
 * 128 bytes, a hog counting at -8(%rsp) replayed to "cannot locate the
 * recorded point" in 2 of 3 runs; with 64, 4 of 4 replayed. (The stub has a
 * stack of its own since; the window stays as traces have it.) */
#define RP_DIGEST_RED_ZONE_BYTES 64
/* rp_digest_words' FNV-1a basis, prime and xorshift: the replay trampolines
 * (replay/point_patch*.cc) hash with them too. */
#define RP_DIGEST_BASIS 0xcbf29ce484222325ull
#define RP_DIGEST_PRIME 0x100000001b3ull
#define RP_DIGEST_SHIFT 29

#if defined(__aarch64__) || defined(__TARGET_ARCH_arm64)
#define RP_DIGEST_SP 31 /* user_pt_regs: regs[0..30], sp, pc, pstate */
/* The register set's index of digest register i (x0..x30, sp), -1 past them. */
RP_INLINE int rp_digest_reg(__u32 i)
{
	return i < 32 ? (int)i : -1;
}
#else
#define RP_DIGEST_SP 19 /* user_regs_struct: r15 .. rdi are 0..14, rsp 19 */
/* The register set's index of digest register i (r15 .. rdi, rsp), -1 past them. */
RP_INLINE int rp_digest_reg(__u32 i)
{
	if (i < 15)
		return (int)i;
	return i == 15 ? RP_DIGEST_SP : -1;
}
#define RP_DIGEST_RED_ZONE 16 /* the slot of the red zone's window */
#endif

/* The window of a register holding v, with the stack pointer at sp: its
 * length in bytes (a multiple of 8, at most RP_DIGEST_WINDOW), 0 for none,
 * and its start in *start. */
RP_INLINE __u32 rp_digest_window(__u64 v, __u64 sp, __u64 *start)
{
	__u64 room;

	if (v < RP_DIGEST_PAGE || v >= RP_DIGEST_USER_TOP)
		return 0;
	/* Replay's own stops write under sp (a trampoline's spill, an injected
	 * call's scratch): bytes there are not the program's. */
	if (v < sp && sp - v <= RP_DIGEST_DEAD_STACK)
		return 0;
	*start = v & ~7ull;
	room = RP_DIGEST_PAGE - (*start & (RP_DIGEST_PAGE - 1));
	return room < RP_DIGEST_WINDOW ? (__u32)room : RP_DIGEST_WINDOW;
}

/* The red zone's window with the stack pointer at sp: its length (a
 * multiple of 8, at most RP_DIGEST_RED_ZONE_BYTES), 0 for none, and its start
 * in *start. It ends at sp (rounded down to 8) and, where the zone crosses
 * a page boundary, keeps the part next to sp, as a window stays in a page. */
RP_INLINE __u32 rp_digest_red_zone(__u64 sp, __u64 *start)
{
	__u64 top = sp & ~7ull, lo, page;

	if (top < 2 * RP_DIGEST_PAGE || top >= RP_DIGEST_USER_TOP)
		return 0;
	lo = top - RP_DIGEST_RED_ZONE_BYTES;
	page = (top - 1) & ~(__u64)(RP_DIGEST_PAGE - 1);
	if (lo < page)
		lo = page;
	*start = lo;
	return (__u32)(top - lo);
}

/* The window of digest register i in the register set regs (nregs words,
 * PTRACE_GETREGS / pt_regs order): as rp_digest_window (the red zone's
 * for slot RP_DIGEST_RED_ZONE), 0 for none or for an i past the
 * architecture's digest slots. The producers' loops are
 * "for each i: this, read the window, rp_digest_words". */
RP_INLINE __u32 rp_digest_register_window(const __u64 *regs, __u32 nregs, __u32 i,
					   __u64 *start)
{
	int k = rp_digest_reg(i);

#ifdef RP_DIGEST_RED_ZONE
	if (i == RP_DIGEST_RED_ZONE)
		return RP_DIGEST_SP < nregs ? rp_digest_red_zone(regs[RP_DIGEST_SP], start) : 0;
#endif
	if (k < 0 || (__u32)k >= nregs || RP_DIGEST_SP >= nregs)
		return 0;
	return rp_digest_window(regs[k], regs[RP_DIGEST_SP], start);
}

/* The hash of a window's n words (n <= RP_DIGEST_WINDOW / 8): 64-bit FNV-1a
 * over words with an xorshift per step. All 64 bits are kept: a search
 * through tens of millions of passes of a loop meets 32-bit collisions. */
RP_INLINE __u64 rp_digest_words(const __u64 *w, __u32 n)
{
	__u64 h = RP_DIGEST_BASIS;
	__u32 i;

	for (i = 0; i < RP_DIGEST_WINDOW / 8; i++) {
		if (i >= n)
			break;
		h ^= w[i];
		h *= RP_DIGEST_PRIME;
		h ^= h >> RP_DIGEST_SHIFT;
	}
	return h;
}

/* What traces from before rp kept 64 bits held for a window's hash h. */
RP_INLINE __u32 rp_digest_fold32(__u64 h)
{
	return (__u32)(h ^ (h >> 32));
}

/* Whether a window hashing to h has the recorded sum (a narrow digest's:
 * struct rp_point_digest). */
RP_INLINE bool rp_digest_sum_matches(bool narrow, __u64 recorded, __u64 h)
{
	return narrow ? rp_digest_fold32(h) == recorded : h == recorded;
}

#endif /* RP_DIGEST_RULES_H */
