/* The BPF and kernel environments of common/rp_rules.h, compiled for user
 * space (rules_bpf_env.c, rules_kmod_env.c) so that buffers_test.cc runs the
 * same cases against them as against the C++ walker. Plain C interface. */
#ifndef RP_TESTS_RULES_ENV_H
#define RP_TESTS_RULES_ENV_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one fd the stand-ins say is open for reading (vmsplice's direction). */
#define RULES_READ_FD 3
/* The one bpf map fd the stand-ins know, and its key and value bytes. */
#define RULES_BPF_MAP_FD 7
#define RULES_BPF_MAP_KEY 4
#define RULES_BPF_MAP_VALUE 24
/* The rules walkers' stand-in for the one file mapping (mremap): its start,
 * and where its file's bytes end. */
#define RULES_FILE_MAP 0x700000
#define RULES_FILE_MAP_END 0x702800

/* Tracee memory: copies len bytes at addr, false if any is unmapped. */
struct rules_mem {
	bool (*read)(void *ctx, uint64_t addr, void *dst, uint64_t len);
	void *ctx;
};

struct rules_region {
	uint64_t addr, len;
	uint32_t idx, flags; /* out_index (0..3, RP_DATA_IDX_INPUT) and RP_DATAF_* */
};

struct rules_result {
	struct rules_region r[256];
	int n;
	bool overflow;  /* more than 256 regions */
	bool deferred;  /* bpf: handed to user space; kmod: the fast path faulted */
};

/* Syscall nr(args) returned ret: lengths read from `entry` memory, regions
 * walked over `exit` memory, input descriptor first, then the outputs. */
void rules_bpf_walk(long nr, const uint64_t args[6], int64_t ret, const struct rules_mem *entry,
		    const struct rules_mem *exit, struct rules_result *res);
/* rp.bpf.c writes the call's record alone, without walking its rules
 * (spec_record_only): it must have nothing to copy. */
bool rules_bpf_record_only(long nr);
void rules_kmod_walk(long nr, const uint64_t args[6], int64_t ret, const struct rules_mem *entry,
		     const struct rules_mem *exit, struct rules_result *res);

#ifndef __cplusplus
#include <string.h>

#include "rp_abi.h"

/* The start of a walk: an empty result, the syscall record as sys_exit has it. */
static inline void rules_begin(struct rules_result *res, struct rp_rec_syscall *rec, long nr,
			       const uint64_t args[6], int64_t ret)
{
	memset(res, 0, sizeof(*res));
	memset(rec, 0, sizeof(*rec));
	rec->nr = nr;
	rec->ret = ret;
	memcpy(rec->args, args, sizeof(rec->args));
}

/* Appends a region; false when the result is full. */
static inline bool rules_add(struct rules_result *res, uint64_t addr, uint64_t len, uint32_t idx,
			     uint32_t flags)
{
	if (res->n == 256) {
		res->overflow = true;
		return false;
	}
	res->r[res->n++] = (struct rules_region){ addr, len, idx, flags };
	return true;
}
#endif

#ifdef __cplusplus
}
#endif

#endif
