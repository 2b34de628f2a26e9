/* rp_bpf.h — what the eBPF program (rp.bpf.c) and its loader (bpf_producer.cc)
 * share besides rp_abi.h: the counters the program keeps. Plain C. */
#ifndef RP_BPF_H
#define RP_BPF_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* One per CPU (a per-CPU array: no atomics on the hot path); user space sums. */
struct rp_bpf_counters {
	__u64 records;      /* records written to the ring */
	__u64 bytes;        /* bytes reserved in the ring */
	__u64 ring_full;    /* a reservation failed: the ring had no room */
	__u64 copy_faults;  /* a user copy failed in probe context (page not present) */
	__u64 user_assist;  /* needs user space by design (file mapping contents...) */
	__u64 stalls;       /* threads stopped so user space could finish their record */
	__u64 lost;         /* records that could not be kept at all: must stay 0 */
	__u64 killed;       /* syscalls cut short by a fatal signal: never returned */
	__u64 switches;     /* RP_REC_SWITCH records: threads switched in user code */
	__u64 late_exits;   /* exits numbered after exit_mm() woke their joiner */
	__u64 wakeups;      /* forced wake-ups of the drainer (rp.bpf.c, wake_flag) */
};

/* A thread's exit in the global order (the `exits` map, by tid). start and
 * task (the task's start_time and task_struct address) let the second of the
 * exit's two hooks (rp.bpf.c, number_exit) tell the number the first took
 * from an entry an earlier thread with the same tid left behind. Both: a
 * thread that calls execve takes over its leader's tid and start_time
 * (de_thread), and the leader's exit entry is still there. */
struct rp_bpf_exit {
	__u64 seq;
	__u64 start;
	__u64 task;
};

/* The traced processes: one bit per tgid, rp_tgid_bits in the program's
 * .bss, which user space maps (the skeleton's bss). pid_max is at
 * most PID_MAX_LIMIT, 4M on 64-bit kernels (include/linux/threads.h), so every
 * tgid the kernel hands out is below RP_TGID_LIMIT: 4194304 bits, 512 KiB.
 * Bit t is word RP_TGID_WORD(t), mask RP_TGID_MASK(t). Both sides update
 * words with atomic or/and: 64 processes share a word. The word's index is
 * masked, not only checked against the limit, for the verifier (rp.bpf.c,
 * tgid_word). */
#define RP_TGID_LIMIT (1u << 22)
#define RP_TGID_WORDS (RP_TGID_LIMIT / 64)
#define RP_TGID_WORD(t) (((t) >> 6) & (RP_TGID_WORDS - 1))
#define RP_TGID_MASK(t) (1ull << ((t) & 63))

/* Payload bytes of the largest data record; larger buffers are split. */
#define RP_BPF_CHUNK 65536

#endif
