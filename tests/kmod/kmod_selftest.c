/* kmod_selftest: drives /dev/rp directly (no rp binary, no decoder) and
 * checks the module's promises on a child process tree:
 *   - every record arrives: per-thread tseq has no gap, seqs are unique,
 *     each syscall's ndata data records arrive, counters.lost == 0;
 *   - buffers are complete and exact: 1 MiB reads and a readv carry the
 *     file's bytes, a file mmap carries the mapping's contents;
 *   - forks and exits of the tree are reported, with the exit status.
 * Run with a small ring (argv[1] = ring bytes) it also exercises the
 * backpressure path (stalls > 0, still nothing lost).
 * Prints "PASS kmod_selftest ..." or "FAIL ..." and exits 0/1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod_client.h"

#define MIB (1u << 20)
#define FILE_BYTES (4 * MIB)
#define GETPIDS 20000
#define THREADS 2
#define THREAD_GETPIDS 5000
#define MAX_SYS 200000


struct sys {
	struct rp_rec_syscall r;
	uint32_t got;            /* data records seen */
	uint64_t bytes[6];       /* payload bytes per out_index (0..5) */
	int data_ok;             /* every chunk matched the pattern where checked */
	uint64_t file_off;       /* reads: where in the pattern file the buffer starts */
};
static uint8_t *pat;
static uint64_t read_off;

static struct sys *sys_tab;
static size_t nsys;
static struct seq_tally seqs;
static int forks, exits, exit_status_ok;
static pid_t child_pid;

/* Data records arrive before their syscall record (possibly interleaved
 * with other threads' records): they wait here, by seq. */
struct held { struct rp_rec_data *d; struct held *next; };
static struct held *held;
static size_t nheld;

static void on_data(struct sys *s, const struct rp_rec_data *d)
{
	const uint32_t idx = d->out_index & RP_DATA_IDX_MASK;
	/* The module sends a call's data records in their order: the ordinal
	 * counts them (RP_DATA_INDEX). */
	if (d->out_index >> RP_DATA_ORDINAL_SHIFT != (s->got & RP_DATA_IDX_MASK)) s->data_ok = 0;
	s->got++;
	if (idx < 6) s->bytes[idx] += d->len;
	/* Reads of the pattern file are sequential, so each buffer's file
	 * offset is known: compare every byte. */
	const uint8_t *p = (const uint8_t *)(d + 1);
	if (((s->r.nr == SYS_read || s->r.nr == SYS_readv) && idx == 0) ||
	    (s->r.nr == SYS_mmap && idx == RP_DATA_IDX_EXTRA)) {
		uint64_t off = s->file_off + s->bytes[idx] - d->len;
		if (off + d->len > FILE_BYTES || memcmp(p, pat + off, d->len)) s->data_ok = 0;
	}
}

static void take_held(struct sys *s)
{
	/* held is newest first: collect this seq's records, then apply them
	 * oldest first (chunks of one region come in address order). */
	struct rp_rec_data *mine[4096];
	size_t n = 0;
	for (struct held **pp = &held; *pp;) {
		struct held *h = *pp;
		if (h->d->seq == s->r.seq && n < 4096) {
			mine[n++] = h->d;
			*pp = h->next;
			free(h);
			nheld--;
		} else {
			pp = &h->next;
		}
	}
	while (n-- > 0) {
		on_data(s, mine[n]);
		free(mine[n]);
	}
}

static void on_record(const struct rp_rec_hdr *h)
{
	if (h->type == RP_REC_SYSCALL) {
		const struct rp_rec_syscall *r = (const void *)h;
		CHECK(nsys < MAX_SYS, "too many syscalls");
		if (nsys >= MAX_SYS) return;
		struct sys *s = &sys_tab[nsys++];
		memset(s, 0, sizeof *s);
		s->r = *r;
		s->data_ok = 1;
		/* ktime_get_ns() at sys_exit, and at sys_enter when it was seen */
		CHECK(r->t_exit != 0, "syscall seq %llu without t_exit", (unsigned long long)r->seq);
		CHECK(!r->t_entry || r->t_exit >= r->t_entry, "syscall seq %llu: t_exit %llu < t_entry %llu",
		      (unsigned long long)r->seq, (unsigned long long)r->t_exit,
		      (unsigned long long)r->t_entry);
		CHECK(!r->entry_seq || (r->h.flags & RP_SYSF_NO_ENTRY) || r->t_entry,
		      "syscall seq %llu entered without t_entry", (unsigned long long)r->seq);
		if ((r->nr == SYS_read || r->nr == SYS_readv) && r->ret >= 1000) { /* not the go pipe */
			s->file_off = read_off;
			read_off += (uint64_t)r->ret;
		}
		seq_use(&seqs, r->seq);
		if (r->entry_seq) seq_use(&seqs, r->entry_seq);
		take_held(s);
	} else if (h->type == RP_REC_DATA) {
		struct held *n = malloc(sizeof *n);
		n->d = malloc(h->size);
		memcpy(n->d, h, h->size);
		n->next = held;
		held = n;
		nheld++;
	} else if (h->type == RP_REC_TASK) {
		const struct rp_rec_task *t = (const void *)h;
		seq_use(&seqs, t->seq);
		if (t->event == RP_TASK_FORK) forks++;
		if (t->event == RP_TASK_EXIT) {
			exits++;
			if ((pid_t)t->tid == child_pid && t->status == (7 << 8)) exit_status_ok = 1;
		}
	} else {
		CHECK(0, "unknown record type %u", h->type);
	}
}

static void *thread_work(void *arg)
{
	(void)arg;  /* concurrent producers: the main thread reads meanwhile */
	for (int i = 0; i < THREAD_GETPIDS; i++) syscall(SYS_getpid);
	return NULL;
}

/* Runs after an execve under tracing, like a program rp records: glibc's
 * startup meets the ENOSYS refusals (rseq) from its first syscall. */
static void child_work(void)
{
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, thread_work, NULL);
	for (int i = 0; i < GETPIDS; i++) syscall(SYS_getpid);
	int fd = open("/tmp/rp_selftest.bin", O_RDONLY);
	uint8_t *buf = malloc(2 * MIB);
	if (fd < 0 || !buf) _exit(91);
	for (int i = 0; i < 3; i++)
		if (read(fd, buf, MIB) != (ssize_t)MIB) _exit(92);
	struct iovec iov[2] = {{buf, 1000}, {buf + 5000, 300000}};
	if (readv(fd, iov, 2) != 301000) _exit(93);
	void *m = mmap(NULL, 2 * MIB, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) _exit(94);
	for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
	pid_t g = fork();
	if (g == 0) _exit(3);
	int st;
	waitpid(g, &st, 0);
	syscall(SYS_exit_group, 7);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child")) child_work();
	uint32_t ring = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 16 * MIB;
	sys_tab = calloc(MAX_SYS, sizeof *sys_tab);
	seq_tally_init(&seqs, 8 * MAX_SYS);
	int f = open("/tmp/rp_selftest.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pat = malloc(FILE_BYTES);
	uint64_t x = 88172645463325252ull;  /* xorshift64: no period within the file */
	for (uint64_t i = 0; i < FILE_BYTES; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		pat[i] = (uint8_t)x;
	}
	if (f < 0 || write(f, pat, FILE_BYTES) != FILE_BYTES) { perror("pattern file"); return 1; }
	close(f);

	struct kmod_client c = {.name = "kmod_selftest", .on_record = on_record};
	child_pid = client_fork_child(&c);
	if (client_start(&c, child_pid, ring, RP_KMOD_F_ENOSYS | RP_KMOD_F_INPUTS)) return 1;

	int status = 0, exited = 0, wakeups = 0;
	struct rp_kmod_counters k;
	for (;;) {
		struct pollfd p = {c.fd, POLLIN, 0};
		if (poll(&p, 1, 100) > 0) wakeups++;
		client_drain(&c);
		if (!exited && waitpid(child_pid, &status, WNOHANG) == child_pid) exited = 1;
		if (ioctl(c.fd, RP_IOC_COUNTERS, &k)) return 1;
		if (exited && k.threads == 0) break;
	}
	if (client_stop(&c, &k)) return 1;

	/* completeness */
	CHECK(k.lost == 0, "lost %llu", (unsigned long long)k.lost);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "child status %#x", status);
	size_t execs = 0, getpids = 0, reads_ok = 0, readv_ok = 0, mmap_ok = 0, groups = 0;
	uint64_t last_tseq[65536] = {0};
	for (size_t i = 0; i < nsys; i++) {
		struct sys *s = &sys_tab[i];
		uint32_t tid = s->r.tid & 0xffff;
		CHECK(s->r.tseq == last_tseq[tid] + 1, "tid %u tseq %llu after %llu", s->r.tid,
		      (unsigned long long)s->r.tseq, (unsigned long long)last_tseq[tid]);
		last_tseq[tid] = s->r.tseq;
		CHECK(s->got == s->r.ndata, "seq %llu nr %lld: %u of %u data records",
		      (unsigned long long)s->r.seq, (long long)s->r.nr, s->got, s->r.ndata);
		if (s->r.nr == SYS_getpid && s->r.ret == child_pid) getpids++;
		if (s->r.nr == SYS_read && s->r.ret == (int64_t)MIB && s->bytes[0] == MIB && s->data_ok) reads_ok++;
		if (s->r.nr == SYS_readv && s->r.ret == 301000 && s->bytes[0] == 301000 && s->data_ok) readv_ok++;
		if (s->r.nr == SYS_mmap && !(s->r.args[3] & MAP_ANONYMOUS) && s->r.ret > 0 &&
		    s->bytes[RP_DATA_IDX_EXTRA] == 2 * MIB && s->data_ok) mmap_ok++;
		if (s->r.nr == SYS_exit_group) groups++;
		if (s->r.nr == SYS_execve && s->r.ret == 0 && s->bytes[RP_DATA_IDX_EXTRA] == 16 &&
		    s->got == 2 /* AT_RANDOM and the path */) execs++;
		if ((s->r.nr == SYS_read || s->r.nr == SYS_readv) && s->r.ret > 1 &&
		    (!s->data_ok || s->bytes[0] != (uint64_t)s->r.ret))
			printf("  read seq %llu ret %lld: %llu bytes in %u records (flags %#x), %s\n",
			       (unsigned long long)s->r.seq, (long long)s->r.ret,
			       (unsigned long long)s->bytes[0], s->got, s->r.h.flags,
			       s->data_ok ? "bytes match" : "bytes differ");
	}
	CHECK(nheld == 0, "%zu data records without their syscall record", nheld);
	for (uint64_t s = 1; s <= seqs.max; s++) {
		if (!seqs.seen[s]) {
			CHECK(0, "seq %llu missing", (unsigned long long)s);
			for (size_t i = 0; i < nsys; i++) {  /* what was around it */
				const struct rp_rec_syscall *r = &sys_tab[i].r;
				if (r->seq + 1 == s || r->seq == s + 1 || r->entry_seq + 1 == s ||
				    r->entry_seq == s + 1)
					printf("   near: tid %u nr %lld entry %llu seq %llu flags %#x\n", r->tid,
					       (long long)r->nr, (unsigned long long)r->entry_seq,
					       (unsigned long long)r->seq, r->h.flags);
			}
		}
	}
	CHECK(getpids == GETPIDS + THREADS * THREAD_GETPIDS, "getpid records %zu of %d", getpids,
	      GETPIDS + THREADS * THREAD_GETPIDS);
	CHECK(reads_ok == 3, "complete 1 MiB reads %zu of 3", reads_ok);
	CHECK(readv_ok == 1, "complete readv %zu of 1", readv_ok);
	CHECK(mmap_ok == 1, "complete file mmap contents %zu of 1", mmap_ok);
	CHECK(execs == 1, "execve records with AT_RANDOM and path %zu of 1", execs);
	CHECK(k.enosys > 0, "no syscall was refused with ENOSYS (glibc calls rseq)");
	CHECK(groups == 2, "exit_group records %zu", groups);
	CHECK(forks == 1 + THREADS, "fork records %d", forks);
	CHECK(exits == 2 + THREADS && exit_status_ok, "exit records %d (status ok %d)", exits, exit_status_ok);
	CHECK(wakeups < 2000, "%d drainer wakeups: not batched", wakeups);
	printf("%s kmod_selftest ring=%u syscalls=%zu records=%llu bytes=%llu lost=%llu stalls=%llu "
	       "deferred=%llu copy_faults=%llu wakeups=%d\n",
	       failures ? "FAIL" : "PASS", ring, nsys, (unsigned long long)k.records,
	       (unsigned long long)k.bytes, (unsigned long long)k.lost, (unsigned long long)k.stalls,
	       (unsigned long long)k.deferred, (unsigned long long)k.copy_faults, wakeups);
	unlink("/tmp/rp_selftest.bin");
	return failures ? 1 : 0;
}
