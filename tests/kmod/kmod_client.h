/* kmod_client.h: what the static /dev/rp test clients (kmod_selftest.c,
 * kmod_switch_test.c) share: the CHECK tally, the sequence-number tally, a
 * child that waits for a go-ahead and then re-executes the program (so the
 * module sees it from its execve on), opening, configuring and mapping the
 * ring, draining it, and the last drains after RP_IOC_STOP.
 * Static functions only: each test program is one translation unit.
 */
#ifndef RP_KMOD_CLIENT_H
#define RP_KMOD_CLIENT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "rp_abi.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

/* Global sequence numbers seen so far: each in 1..limit-1, each once. */
struct seq_tally {
	unsigned char *seen;  /* by seq: 1 once used */
	uint64_t limit, max;
};

static void seq_tally_init(struct seq_tally *t, uint64_t limit)
{
	t->seen = calloc(limit, 1);
	t->limit = limit;
	t->max = 0;
}

static void seq_use(struct seq_tally *t, uint64_t s)
{
	CHECK(s > 0 && s < t->limit, "seq %llu out of range", (unsigned long long)s);
	if (s == 0 || s >= t->limit) return;
	CHECK(!t->seen[s], "seq %llu used twice", (unsigned long long)s);
	t->seen[s] = 1;
	if (s > t->max) t->max = s;
}

/* The numbers in 1..max never used, each printed. */
static inline uint64_t seq_holes(const struct seq_tally *t)
{
	uint64_t holes = 0;
	for (uint64_t s = 1; s <= t->max; s++)
		if (!t->seen[s]) {
			printf("  seq %llu missing\n", (unsigned long long)s);
			holes++;
		}
	return holes;
}

/* One traced child and the module's ring, as the client reads it. */
struct kmod_client {
	const char *name;  /* the program's, for messages and the child's argv[0] */
	void (*on_record)(const struct rp_rec_hdr *h);
	int fd;            /* /dev/rp */
	int go;            /* the child execs once a byte arrives here */
	uint32_t ring;
	const uint8_t *data;
	uint64_t tail;
	int busy;          /* the last drain stopped at a record still being written */
};

/* Forks the child: it waits for client_start, then runs `NAME --child`. */
static pid_t client_fork_child(struct kmod_client *c)
{
	int go[2];
	if (pipe(go)) exit(1);
	pid_t child = fork();
	if (child == 0) {
		char ch;
		close(go[1]);
		if (read(go[0], &ch, 1) != 1) _exit(89);
		execl("/proc/self/exe", c->name, "--child", (char *)NULL);
		_exit(88);
	}
	close(go[0]);
	c->go = go[1];
	return child;
}

/* Opens /dev/rp, traces root's tree with the given ring and flags, maps the
 * ring, starts, and lets the child go. On failure says why and returns -1. */
static int client_start(struct kmod_client *c, pid_t root, uint32_t ring, uint32_t flags)
{
	c->fd = open("/dev/rp", O_RDWR | O_CLOEXEC);
	if (c->fd < 0) { perror("open /dev/rp"); printf("FAIL %s: no /dev/rp\n", c->name); return -1; }
	struct rp_kmod_config cfg = {.ring_bytes = ring, .wake_bytes = ring / 4, .root_pid = root,
				     .flags = flags};
	if (ioctl(c->fd, RP_IOC_CONFIGURE, &cfg)) { perror("RP_IOC_CONFIGURE"); return -1; }
	uint8_t *map = mmap(NULL, RP_KMOD_DATA_OFFSET + ring, PROT_READ, MAP_SHARED, c->fd, 0);
	if (map == MAP_FAILED) { perror("mmap /dev/rp"); return -1; }
	c->ring = ring;
	c->data = map + RP_KMOD_DATA_OFFSET;
	c->tail = 0;
	c->busy = 0;
	if (ioctl(c->fd, RP_IOC_START)) { perror("RP_IOC_START"); return -1; }
	if (write(c->go, "g", 1) != 1) return -1;
	return 0;
}

/* Hands every complete record up to the ring's head to on_record (padding
 * aside) and gives the space back. A malformed size ends the program: the
 * rest of the ring cannot be read. */
static void client_drain(struct kmod_client *c)
{
	const volatile struct rp_kmod_ring_hdr *hdr = (const void *)(c->data - RP_KMOD_DATA_OFFSET);
	uint64_t head = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
	c->busy = 0;
	while (c->tail < head) {
		const struct rp_rec_hdr *h = (const void *)(c->data + (c->tail & (c->ring - 1)));
		if (__atomic_load_n(&h->type, __ATOMIC_ACQUIRE) == 0) { c->busy = 1; break; }
		if (h->size < 8 || (h->size & 7)) { printf("FAIL: bad record size %u\n", h->size); exit(1); }
		if (h->type != RP_REC_PAD) c->on_record(h);
		c->tail += h->size;
	}
	if (ioctl(c->fd, RP_IOC_CONSUME, &c->tail)) { perror("RP_IOC_CONSUME"); exit(1); }
}

/* Stops tracing, then drains until every record is in: none in flight, none
 * half-written, the reader at the head. -1 if the counters cannot be read. */
static int client_stop(struct kmod_client *c, struct rp_kmod_counters *k)
{
	ioctl(c->fd, RP_IOC_STOP);
	do {
		if (ioctl(c->fd, RP_IOC_COUNTERS, k)) return -1;
		client_drain(c);
	} while (k->inflight || c->busy || c->tail != k->head);
	return 0;
}

#endif
