/* kmod_switch_test: drives /dev/rp directly (no rp binary, no decoder) and
 * checks the module's switch records (RP_KMOD_F_SWITCHES, rp_abi.h) on a
 * child whose threads share one CPU and compute without syscalls:
 *   - the child's own sched_setaffinity stops it (SIGSTOP) before it returns,
 *     and RP_IOC_TAKE says so once (repin) and gives its stop's seq;
 *   - switch records arrive, each for a thread of the child, never inside
 *     one of that thread's syscalls, with registers as PTRACE_GETREGS shows
 *     them: ip in the program's text (or the vDSO), cs/ss the user segments,
 *     fs_base the thread's pthread_self(), rsp on the thread's stack (arm64:
 *     pc likewise, pstate EL0 with interrupts unmasked, sp on the stack);
 *   - the counter matches, nothing is lost, sequence numbers have no gap.
 * With --off (flag not set) the same child gets no switch record and no stop.
 * With --ptrace the parent also traces the child as rp's supervisor does
 * (PTRACE_SEIZE, clone/exit/exec events): stops that become no event in rp
 * (the re-pin SIGSTOP, a new thread's first stop, a thread's exit event) must
 * take no sequence number (RP_TAKE_STOP_SEQ gives 0): rp uses none, so one
 * taken would be a hole in the global order (common/rp_switch_rules.h).
 * Prints "PASS kmod_switch_test ..." or "FAIL ..." and exits 0/1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmod_client.h"

#define NTHREADS 4
#define MAX_REC 400000
#define REPORT "/tmp/rp_switch_test.txt"
#if defined(__x86_64__)
/* x86_64 user_regs_struct word indexes */
enum { R_IP = 16, R_CS = 17, R_FLAGS = 18, R_SP = 19, R_SS = 20, R_FS_BASE = 21 };
#elif defined(__aarch64__)
/* arm64 user_pt_regs word indexes (x0..x30 first) */
enum { R_SP = 31, R_IP = 32, R_PSTATE = 33 };
#else
#error "kmod_switch_test: this architecture's user register layout"
#endif

/* ---- the child: NTHREADS threads computing on one CPU ---- */

struct worker { pid_t tid; uint64_t fs_base, stack; };
static struct worker workers[NTHREADS];
extern char __executable_start[], etext[];

static void *spin(void *arg)
{
	struct worker *w = arg;
	volatile uint64_t x = 0;
	struct timespec t0, t;

	w->tid = (pid_t)syscall(SYS_gettid);
	w->fs_base = (uint64_t)pthread_self();
	w->stack = (uint64_t)&x;
	clock_gettime(CLOCK_MONOTONIC, &t0);  /* vDSO: no syscall */
	do {
		for (int i = 0; i < 1000000; i++) x += (uint64_t)i * 3 + 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 600);
	return NULL;
}

static void child_work(void)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof one, &one)) _exit(90);  /* stopped here when on */
	pthread_t th[NTHREADS];
	for (int i = 1; i < NTHREADS; i++) pthread_create(&th[i], NULL, spin, &workers[i]);
	spin(&workers[0]);
	for (int i = 1; i < NTHREADS; i++) pthread_join(th[i], NULL);
	/* The vDSO's range: clock_gettime may be where a thread was preempted. */
	uint64_t vlo = 0, vhi = 0;
	char line[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof line, maps))
		if (strstr(line, "[vdso]")) sscanf(line, "%lx-%lx", &vlo, &vhi);
	FILE *f = fopen(REPORT, "w");
	if (!f) _exit(91);
	fprintf(f, "%lx %lx %lx %lx\n", (unsigned long)__executable_start, (unsigned long)etext,
		(unsigned long)vlo, (unsigned long)vhi);
	for (int i = 0; i < NTHREADS; i++)
		fprintf(f, "%d %lx %lx\n", workers[i].tid, (unsigned long)workers[i].fs_base,
			(unsigned long)workers[i].stack);
	fclose(f);
	_exit(0);
}

/* ---- the parent: drains /dev/rp and checks ---- */

struct span { uint32_t tid; uint64_t entry, exit; };
static struct span *calls;
static struct rp_rec_switch *sws;
static size_t ncalls, nsws;
static struct seq_tally seqs;

static void on_record(const struct rp_rec_hdr *h)
{
	if (h->type == RP_REC_SYSCALL) {
		const struct rp_rec_syscall *r = (const void *)h;
		seq_use(&seqs, r->seq);
		if (r->entry_seq) seq_use(&seqs, r->entry_seq);
		if (ncalls < MAX_REC) calls[ncalls++] = (struct span){r->tid, r->entry_seq, r->seq};
	} else if (h->type == RP_REC_TASK) {
		seq_use(&seqs, ((const struct rp_rec_task *)h)->seq);
	} else if (h->type == RP_REC_SWITCH) {
		CHECK(h->size == sizeof(struct rp_rec_switch), "switch record of %u bytes", h->size);
		seq_use(&seqs, ((const struct rp_rec_switch *)h)->seq);
		if (nsws < MAX_REC) memcpy(&sws[nsws++], h, sizeof *sws);
	} else {
		CHECK(h->type == RP_REC_DATA, "unknown record type %u", h->type);
	}
}

static uint64_t take(int fd, pid_t tid, uint32_t what)
{
	struct rp_kmod_take t = {.tid = tid, .what = what};
	CHECK(ioctl(fd, RP_IOC_TAKE, &t) == 0, "RP_IOC_TAKE(%d, %u)", tid, what);
	return t.value;
}

/* The exit numbers the module kept for a supervisor: taken as rp would when
 * reaping each thread, they are used sequence numbers too. */
static void take_exits(int fd, pid_t child)
{
	unsigned long skip;
	int tid;
	FILE *f = fopen(REPORT, "r");

	if (!f || fscanf(f, "%lx %lx %lx %lx", &skip, &skip, &skip, &skip) != 4) {
		if (f) fclose(f);
		return;
	}
	while (fscanf(f, "%d %lx %lx", &tid, &skip, &skip) == 3) {
		if (tid == child) continue;
		struct rp_kmod_take t = {.tid = tid, .what = RP_TAKE_EXIT_SEQ};
		if (ioctl(fd, RP_IOC_TAKE, &t) == 0) seq_use(&seqs, t.value);
	}
	fclose(f);
	struct rp_kmod_take t = {.tid = child, .what = RP_TAKE_EXIT_SEQ};
	if (ioctl(fd, RP_IOC_TAKE, &t) == 0) seq_use(&seqs, t.value);
}

/* Every switch record against what the child reported about its threads. */
static size_t check_switches(void)
{
	unsigned long text_lo, text_hi, vlo, vhi;
	struct worker w[NTHREADS];
	size_t in_text = 0;
	FILE *f = fopen(REPORT, "r");

	CHECK(f && fscanf(f, "%lx %lx %lx %lx", &text_lo, &text_hi, &vlo, &vhi) == 4, "no report");
	if (!f) return 0;
	for (int i = 0; i < NTHREADS; i++)
		if (fscanf(f, "%d %lx %lx", &w[i].tid, &w[i].fs_base, &w[i].stack) != 3) w[i].tid = -1;
	fclose(f);
	for (size_t i = 0; i < nsws; i++) {
		const struct rp_rec_switch *s = &sws[i];
		const __u64 *r = s->regs;
		int k = 0;
		while (k < NTHREADS && w[k].tid != (pid_t)s->tid) k++;
		if (k == NTHREADS) continue;  /* the main thread before spin() (rare) */
		int ok_ip = (r[R_IP] >= text_lo && r[R_IP] < text_hi) || (r[R_IP] >= vlo && r[R_IP] < vhi);
		in_text += r[R_IP] >= text_lo && r[R_IP] < text_hi;
		uint64_t sp_off = r[R_SP] > w[k].stack ? r[R_SP] - w[k].stack : w[k].stack - r[R_SP];
#if defined(__x86_64__)
		CHECK(ok_ip && r[R_CS] == 0x33 && r[R_SS] == 0x2b && (r[R_FLAGS] & 0x202) == 0x202 &&
		      r[R_FS_BASE] == w[k].fs_base && sp_off < 65536,
		      "switch seq %llu tid %u: ip %#llx cs %#llx ss %#llx flags %#llx fs_base %#llx "
		      "(thread's %#lx) sp %#llx (stack near %#lx)", (unsigned long long)s->seq, s->tid,
		      (unsigned long long)r[R_IP], (unsigned long long)r[R_CS],
		      (unsigned long long)r[R_SS], (unsigned long long)r[R_FLAGS],
		      (unsigned long long)r[R_FS_BASE], w[k].fs_base, (unsigned long long)r[R_SP],
		      w[k].stack);
#else
		/* pstate: EL0t in AArch64 state (M[4:0] = 0), IRQ and FIQ unmasked
		 * (I, F clear) as user code runs. user_pt_regs has no tpidr_el0. */
		CHECK(ok_ip && (r[R_PSTATE] & 0x1f) == 0 && (r[R_PSTATE] & 0xc0) == 0 && sp_off < 65536,
		      "switch seq %llu tid %u: pc %#llx pstate %#llx sp %#llx (stack near %#lx)",
		      (unsigned long long)s->seq, s->tid, (unsigned long long)r[R_IP],
		      (unsigned long long)r[R_PSTATE], (unsigned long long)r[R_SP], w[k].stack);
#endif
		for (size_t c = 0; c < ncalls; c++)
			CHECK(!(calls[c].tid == s->tid && calls[c].entry && calls[c].entry < s->seq &&
				s->seq < calls[c].exit),
			      "switch seq %llu of tid %u inside its syscall %llu..%llu",
			      (unsigned long long)s->seq, s->tid, (unsigned long long)calls[c].entry,
			      (unsigned long long)calls[c].exit);
	}
	return in_text;
}

/* What the parent saw of the child's stops. */
struct stops {
	int stops;                 /* the affinity stop (a SIGSTOP) */
	uint64_t stop_seq, repins, extra_repins;
	int quiet;                 /* ptrace: stops rp makes no event of */
	int numbered_quiet;        /* ... that took a sequence number anyway */
};

/* Without ptrace: the module's stop after sched_setaffinity is a job-control
 * stop, numbered like a signal rp would record. Returns 1 when the child exited. */
static int watch_plain(int fd, pid_t child, int *status, struct stops *st)
{
	if (waitpid(child, status, WNOHANG | WUNTRACED) != child)
		return 0;
	if (!WIFSTOPPED(*status))
		return 1;
	/* What rp's supervisor would take, then re-pin and resume. */
	st->stops++;
	st->repins += take(fd, child, RP_TAKE_REPIN);
	st->extra_repins += take(fd, child, RP_TAKE_REPIN);
	st->stop_seq = take(fd, child, RP_TAKE_STOP_SEQ);
	if (st->stop_seq) seq_use(&seqs, st->stop_seq);
	kill(child, SIGCONT);
	return 0;
}

/* A ptrace stop that rp's supervisor turns into no event: it takes the stop's
 * number (as on_signal does at every stop) and uses none. */
static void quiet_stop(int fd, pid_t tid, struct stops *st)
{
	uint64_t seq = take(fd, tid, RP_TAKE_STOP_SEQ);

	st->quiet++;
	CHECK(seq == 0, "tid %d: a stop rp makes no event of took seq %llu", tid,
	      (unsigned long long)seq);
	st->numbered_quiet += seq != 0;
}

/* With ptrace: every stop of every thread, as rp's supervisor sees them. */
static int watch_ptrace(int fd, pid_t child, int *status, struct stops *st)
{
	int exited = 0, ws;
	pid_t tid;

	while ((tid = waitpid(-1, &ws, __WALL | WNOHANG)) > 0) {
		if (!WIFSTOPPED(ws)) {
			if (tid == child) {
				*status = ws;
				exited = 1;
			}
			continue;
		}
		int sig = WSTOPSIG(ws), deliver = 0;
		if (ws >> 16) {
			quiet_stop(fd, tid, st);  /* clone, exit, exec, a new thread's first stop */
		} else if (sig == SIGSTOP) {
			/* The module's re-pin stop: rp re-pins and suppresses it. */
			st->stops++;
			st->repins += take(fd, tid, RP_TAKE_REPIN);
			st->extra_repins += take(fd, tid, RP_TAKE_REPIN);
			quiet_stop(fd, tid, st);
		} else {
			uint64_t seq = take(fd, tid, RP_TAKE_STOP_SEQ);  /* a signal: an event */
			CHECK(seq != 0, "tid %d: signal %d took no seq", tid, sig);
			if (seq) seq_use(&seqs, seq);
			deliver = sig;
		}
		ptrace(PTRACE_CONT, tid, 0, deliver);
	}
	return exited;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child")) child_work();
	int on = !(argc > 1 && !strcmp(argv[1], "--off"));
	int traced = argc > 1 && !strcmp(argv[1], "--ptrace");
	const uint32_t ring = 16u << 20;
	calls = calloc(MAX_REC, sizeof *calls);
	sws = calloc(MAX_REC, sizeof *sws);
	seq_tally_init(&seqs, 8 * MAX_REC);
	unlink(REPORT);

	struct kmod_client c = {.name = "kmod_switch_test", .on_record = on_record};
	pid_t child = client_fork_child(&c);
	/* Traced as rp's supervisor traces (before the child execs). */
	if (traced && ptrace(PTRACE_SEIZE, child, 0,
			     PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC)) {
		perror("PTRACE_SEIZE");
		return 1;
	}
	if (client_start(&c, child, ring, RP_KMOD_F_INPUTS | (on ? RP_KMOD_F_SWITCHES : 0))) return 1;
	int fd = c.fd;

	int status = 0, exited = 0;
	struct stops st = {0};
	struct rp_kmod_counters k;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		poll(&p, 1, 50);
		client_drain(&c);
		if (!exited)
			exited = traced ? watch_ptrace(fd, child, &status, &st)
					: watch_plain(fd, child, &status, &st);
		if (ioctl(fd, RP_IOC_COUNTERS, &k)) return 1;
		if (exited && k.threads == 0) break;
	}
	take_exits(fd, child);
	if (client_stop(&c, &k)) return 1;

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	CHECK(k.lost == 0, "lost %llu", (unsigned long long)k.lost);
	CHECK(k.switches == nsws, "counter says %llu switches, %zu records arrived",
	      (unsigned long long)k.switches, nsws);
	/* An exit numbered again gives up its first number (rp_exit_renumber): the
	 * only hole the module may leave, and it counts each. */
	uint64_t holes = seq_holes(&seqs);
	CHECK(holes == k.exits_renumbered, "%llu seqs missing, %llu exits renumbered",
	      (unsigned long long)holes, (unsigned long long)k.exits_renumbered);
	size_t in_text = check_switches();
	if (on) {
		/* Not traced, the stop is job control (no siginfo): numbered. */
		CHECK(st.stops == 1 && st.repins == 1 && st.extra_repins == 0 &&
		      (traced || st.stop_seq != 0),
		      "affinity stop: %d stops, repin taken %llu (again %llu), stop seq %llu",
		      st.stops, (unsigned long long)st.repins, (unsigned long long)st.extra_repins,
		      (unsigned long long)st.stop_seq);
		/* Traced: the re-pin, the new threads' first stops, their exits. */
		CHECK(!traced || st.quiet >= 1 + 2 * (NTHREADS - 1),
		      "ptrace: %d quiet stops, expected at least %d", st.quiet, 1 + 2 * (NTHREADS - 1));
		CHECK(nsws > 0 && in_text > 0, "%zu switch records, %zu in the program's text", nsws,
		      in_text);
	} else {
		CHECK(st.stops == 0 && nsws == 0, "switches off: %d stops, %zu switch records",
		      st.stops, nsws);
	}
	printf("%s kmod_switch_test %s switches=%zu in_text=%zu syscalls=%zu stops=%d stop_seq=%llu "
	       "quiet=%d numbered_quiet=%d renumbered=%llu\n",
	       failures ? "FAIL" : "PASS", traced ? "ptrace" : on ? "on" : "off", nsws, in_text,
	       ncalls, st.stops, (unsigned long long)st.stop_seq, st.quiet, st.numbered_quiet,
	       (unsigned long long)k.exits_renumbered);
	unlink(REPORT);
	return failures ? 1 : 0;
}
