/* The programs of pid_reuse.sh: a traced process's pid, once it is free
 * again, belongs to whoever gets it next, and the eBPF program must not take
 * that process for the traced one.
 *
 *   pid_reuse record PIDFILE GOFILE   (recorded) ends children in four ways,
 *       reaps each and appends its pid to PIDFILE, then waits for GOFILE to
 *       exist (at most 60 s) and exits 0.
 *   pid_reuse reuse PID...            (not recorded) creates a process with
 *       each PID (clone3 set_tid, root) that re-sets its own CPU affinity: a
 *       traced process gets SIGSTOP there from the eBPF program (the re-pin
 *       of a one-CPU recording). Prints "reused N of M", exits 1 if any was
 *       stopped, 2 if no pid could be had, 77 if clone3 cannot set a pid.
 *   pid_reuse bits RP_PID PID...      prints whether each PID's bit is set in
 *       the traced set of the recording rp RP_PID runs (its .bss.tgids map,
 *       found by id in RP_PID's fdinfo and mapped); exits 1 if any is set.
 *   pid_reuse stale RP_PID PID...     sets those bits, as an exit the program
 *       missed would leave them.
 *   pid_reuse exit                    exits 0 (the exec target).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *late_exit(void *arg)
{
	(void)arg;
	pause_ms(50); /* the leader has exited by now: the group ends here */
	return NULL;
}

static void *exec_self(void *arg)
{
	char *argv[] = { "pid_reuse", "exit", NULL };
	execv("/proc/self/exe", argv);
	(void)arg;
	_exit(3);
}

/* One child, ended as WAY says; returns its pid once reaped. */
static pid_t child(int way)
{
	pid_t pid = fork();
	pthread_t t;
	int st;

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		getppid(); /* its first syscall: recorded, it is traced */
		switch (way) {
		case 0: /* the one thread exits */
			_exit(0);
		case 1: /* the leader exits first, the last thread ends the group */
			pthread_create(&t, NULL, late_exit, NULL);
			pthread_exit(NULL);
		case 2: /* a thread execs: it takes the leader's pid, then exits */
			pthread_create(&t, NULL, exec_self, NULL);
			for (;;)
				pause();
		default: /* killed */
			for (;;)
				pause();
		}
	}
	if (way == 3) {
		pause_ms(20);
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	return pid;
}

static int record(const char *pidfile, const char *gofile)
{
	FILE *f = fopen(pidfile, "w");

	if (!f) {
		perror(pidfile);
		return 1;
	}
	for (int way = 0; way < 4; way++) {
		fprintf(f, "%d\n", (int)child(way));
		fflush(f);
	}
	fclose(f);
	for (int i = 0; i < 6000 && access(gofile, F_OK) != 0; i++)
		pause_ms(10);
	return 0;
}

/* The new process: raw syscalls only. Setting the affinity it has succeeds
 * (the re-pin's condition) without moving it. */
static void reuser(void)
{
	uint64_t mask[16];
	long n = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);

	if (n > 0)
		syscall(SYS_sched_setaffinity, 0, (size_t)n, mask);
	syscall(SYS_getppid);
	syscall(SYS_exit_group, 0);
}

/* 1: the process with PID was stopped; 0: it ran to its end; -1: PID was
 * taken; -2: clone3 cannot set pids here. */
static int reuse(pid_t pid)
{
	pid_t tid = pid;
	struct clone_args a;
	int st;

	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	a.set_tid = (uintptr_t)&tid;
	a.set_tid_size = 1;
	long r = syscall(SYS_clone3, &a, sizeof(a));
	if (r == 0)
		reuser();
	if (r < 0)
		return errno == EEXIST ? -1 : -2;
	alarm(20); /* a process stopped for good is reported as stopped, not waited for */
	if (waitpid((pid_t)r, &st, WUNTRACED) != (pid_t)r) {
		perror("waitpid");
		exit(1);
	}
	alarm(0);
	if (WIFSTOPPED(st)) {
		printf("pid %d: stopped by signal %d\n", pid, WSTOPSIG(st));
		kill((pid_t)r, SIGKILL);
		waitpid((pid_t)r, &st, 0);
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("pid %d: ended with status 0x%x\n", pid, st);
		return 1;
	}
	return 0;
}

#define TGID_BYTES (1u << 19) /* RP_TGID_LIMIT bits (record/bpf/rp_bpf.h) */

/* Where rp_tgid_bits lies in the .bss map ID (its offset, by the map's BTF),
 * -1 if ID is another map; *fd is then the map's fd, *size its value's size. */
static long tgid_offset(unsigned id, int *fd, unsigned *size)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	long off = -1;

	*fd = bpf_map_get_fd_by_id(id);
	if (*fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	size_t n;
	if (bpf_obj_get_info_by_fd(*fd, &info, &len) || !info.btf_id ||
	    (n = strnlen(info.name, sizeof(info.name))) < 4 || strcmp(info.name + n - 4, ".bss"))
		goto out;
	struct btf *btf = btf__load_from_kernel_by_id(info.btf_id);
	const struct btf_type *t = btf ? btf__type_by_id(btf, info.btf_value_type_id) : NULL;
	if (t && btf_is_datasec(t)) {
		const struct btf_var_secinfo *v = btf_var_secinfos(t);
		for (int i = 0; i < btf_vlen(t); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			if (var && !strcmp(btf__name_by_offset(btf, var->name_off), "rp_tgid_bits") &&
			    v->size == TGID_BYTES)
				off = v->offset;
		}
	}
	btf__free(btf);
	*size = info.value_size;
out:
	if (off < 0)
		close(*fd);
	return off;
}

/* rp RP_PID's traced set, mapped; exits if there is none. */
static uint64_t *tgid_bits(const char *rp_pid)
{
	char dir[64], path[600], line[128];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", rp_pid);
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		FILE *f = fopen(path, "r");
		unsigned id, size = 0;
		long off = -1;
		int fd = -1;
		while (f && off < 0 && fgets(line, sizeof(line), f))
			if (sscanf(line, "map_id: %u", &id) == 1)
				off = tgid_offset(id, &fd, &size);
		if (f)
			fclose(f);
		if (off >= 0) {
			char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED) {
				perror("mmap");
				exit(1);
			}
			return (uint64_t *)(p + off);
		}
	}
	fprintf(stderr, "pid_reuse: process %s holds no traced set\n", rp_pid);
	exit(2);
}

static int bits(int argc, char **argv, int set)
{
	uint64_t *b = tgid_bits(argv[2]);
	int any = 0;

	for (int i = 3; i < argc; i++) {
		unsigned t = (unsigned)atoi(argv[i]);
		uint64_t mask = 1ull << (t & 63);
		if (set)
			__atomic_fetch_or(&b[t >> 6], mask, __ATOMIC_SEQ_CST);
		int on = (__atomic_load_n(&b[t >> 6], __ATOMIC_SEQ_CST) & mask) != 0;
		printf("pid %u: bit %s\n", t, on ? "set" : "clear");
		any |= on;
	}
	return any && !set;
}

int main(int argc, char **argv)
{
	int reused = 0, stopped = 0;

	if (argc == 2 && !strcmp(argv[1], "exit"))
		return 0;
	if (argc == 4 && !strcmp(argv[1], "record"))
		return record(argv[2], argv[3]);
	if (argc >= 4 && (!strcmp(argv[1], "bits") || !strcmp(argv[1], "stale")))
		return bits(argc, argv, !strcmp(argv[1], "stale"));
	if (argc < 3 || strcmp(argv[1], "reuse")) {
		fprintf(stderr, "usage: pid_reuse record PIDFILE GOFILE | reuse PID... | "
				"bits|stale RP_PID PID... | exit\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		int r = reuse((pid_t)atoi(argv[i]));
		if (r == -2) {
			printf("clone3 cannot set a pid here: %s\n", strerror(errno));
			return 77;
		}
		if (r == -1)
			printf("pid %s: taken by another process since\n", argv[i]);
		reused += r >= 0;
		stopped += r == 1;
	}
	printf("reused %d of %d\n", reused, argc - 2);
	return stopped ? 1 : reused ? 0 : 2;
}
