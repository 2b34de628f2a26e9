// rp_bench_count [-o FILE] -- CMD [ARG...]: runs CMD with count.bpf.c counting
// its syscalls (and its children's), then writes "entries exits" totals and one
// "nr entries exits" line per syscall number seen to FILE (default stderr).
// Exits with CMD's status. The floor tests/bench/run.sh compares rp against.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "count.skel.h"
#include "rp_bpf.h" /* RP_TGID_*: the traced set count.bpf.c shares with rp */

#define COUNT_NR 1024

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static int usage(void)
{
	fprintf(stderr, "usage: rp_bench_count [-o FILE] -- CMD [ARG...]\n");
	return 2;
}

static int write_counts(struct count_bpf *skel, FILE *f)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return -1;
	unsigned long long *v = calloc((size_t)ncpu, sizeof *v);
	unsigned long long in[COUNT_NR] = {0}, out[COUNT_NR] = {0}, tin = 0, tout = 0;
	if (!v)
		return -1;
	int fd = bpf_map__fd(skel->maps.counts);
	for (unsigned i = 0; i < 2 * COUNT_NR; i++) {
		if (bpf_map_lookup_elem(fd, &i, v)) {
			free(v);
			return -1;
		}
		for (int c = 0; c < ncpu; c++) {
			if (i < COUNT_NR)
				in[i] += v[c];
			else
				out[i - COUNT_NR] += v[c];
		}
	}
	free(v);
	for (int i = 0; i < COUNT_NR; i++) {
		tin += in[i];
		tout += out[i];
	}
	fprintf(f, "total %llu %llu\n", tin, tout);
	for (int i = 0; i < COUNT_NR; i++)
		if (in[i] || out[i])
			fprintf(f, "%d %llu %llu\n", i, in[i], out[i]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "-o")) {
		out = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc)
		return usage();
	char **cmd = argv + i + 1;

	struct count_bpf *skel = count_bpf__open_and_load();
	if (!skel || count_bpf__attach(skel)) {
		fprintf(stderr, "rp_bench_count: cannot load or attach the eBPF program: %s\n",
			strerror(errno));
		return 125;
	}
	int go[2];
	if (pipe(go))
		return 125;
	child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {  // waits until its tgid is in the traced set
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(125);
		close(go[0]);
		execvp(cmd[0], cmd);
		fprintf(stderr, "rp_bench_count: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGQUIT, forward);
	__u32 t = (__u32)child;
	if (t >= RP_TGID_LIMIT) {
		kill(child, SIGKILL);
		return 125;
	}
	__atomic_fetch_or(&skel->bss->rp_tgid_bits[RP_TGID_WORD(t)], RP_TGID_MASK(t), __ATOMIC_SEQ_CST);
	if (write(go[1], "g", 1) != 1) {
		kill(child, SIGKILL);
		return 125;
	}
	close(go[1]);
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
	}
	count_bpf__detach(skel);
	FILE *f = out ? fopen(out, "w") : stderr;
	if (!f || write_counts(skel, f)) {
		fprintf(stderr, "rp_bench_count: cannot write the counts\n");
		return 125;
	}
	if (f != stderr)
		fclose(f);
	count_bpf__destroy(skel);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
