/* verifier_cost BUDGET: loads rp's eBPF programs (the object embedded in rp,
 * record/bpf/rp.skel.h) as `rp record` configures them, with and without
 * cfg_one_cpu, and asks the kernel's verifier for its statistics. Prints
 * each program's cost; exits 1 if one of them took more than BUDGET
 * processed instructions or did not load.
 *
 * Why a budget: the verifier's work is rp's start-up latency (every
 * recording loads the programs) and the margin to its 1M-instruction limit,
 * which other kernels' verifiers (Debian 6.1 on arm64) spend differently.
 * The count is deterministic for a kernel and an object: not a timing test. */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_abi.h" /* types of the skeleton's globals */
#include "rp.skel.h"

enum { MAX_PROGS = 32, LOG_SIZE = 4096 };

static char logs[MAX_PROGS][LOG_SIZE];

/* The "processed N insns" of a statistics log, or -1. */
static long processed(const char *log)
{
	const char *p = strstr(log, "processed ");
	return p ? strtol(p + strlen("processed "), NULL, 10) : -1;
}

static int check(int one_cpu, long budget)
{
	struct rp_bpf *skel = rp_bpf__open();
	struct bpf_program *prog;
	int n = 0, bad = 0;

	if (!skel) {
		fprintf(stderr, "verifier_cost: cannot open the skeleton\n");
		return 1;
	}
	skel->rodata->cfg_stall = 1;
	skel->rodata->cfg_one_cpu = one_cpu;
	bpf_object__for_each_program(prog, skel->obj) {
		if (n == MAX_PROGS)
			break;
		logs[n][0] = 0;
		bpf_program__set_log_level(prog, 4); /* statistics only */
		bpf_program__set_log_buf(prog, logs[n++], LOG_SIZE);
	}
	if (rp_bpf__load(skel)) {
		fprintf(stderr, "verifier_cost: the programs did not load (cfg_one_cpu=%d)\n", one_cpu);
		bad = 1;
	}
	n = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		if (n == MAX_PROGS)
			break;
		long insns = processed(logs[n++]);
		printf("cfg_one_cpu=%d %s: %ld insns processed\n", one_cpu, bpf_program__name(prog),
		       insns);
		if (insns > budget) {
			fprintf(stderr, "FAIL: %s costs the verifier %ld instructions, budget %ld\n",
				bpf_program__name(prog), insns, budget);
			bad = 1;
		}
	}
	rp_bpf__destroy(skel);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: verifier_cost BUDGET\n");
		return 2;
	}
	long budget = strtol(argv[1], NULL, 10);
	int bad = check(0, budget);
	bad |= check(1, budget);
	return bad;
}
