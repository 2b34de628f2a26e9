/* A process with a large resident set that keeps changing it, for snapshots
 * taken from a frozen copy (record/cow_copy.h): `cow_mutator MIB ROUNDS`
 * [SLEEP_MS] touches every page of MIB MiB of anonymous memory, then in
 * each round changes a word of every page and prints a checksum of them all
 * (a replay from a snapshot matches only if the snapshot is one instant of
 * that memory). Rounds are SLEEP_MS apart (default 0); ROUNDS 0: they go on
 * forever, at least 10 ms apart (for rp record -p). It also watches what a
 * snapshot's copy must never show it: a SIGCHLD, or a child of its own in
 * /proc (the most seen in a round, and at the end). */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int sig) {
  (void)sig;
  sigchld_count++;
}

/* The children /proc lists for every thread of this process. */
static int children_now(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    while (fscanf(f, "%255s", buf) == 1) n++;
    fclose(f);
  }
  if (d) closedir(d);
  return n;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
  long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 50;
  long sleep_ms = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
  if (rounds == 0 && sleep_ms < 10) sleep_ms = 10;
  size_t page = 4096, pages = mib * 1024 * 1024 / page;
  signal(SIGCHLD, on_sigchld);
  uint64_t *mem = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  for (size_t p = 0; p < pages; p++) mem[p * (page / 8)] = p * 2654435761u;
  printf("ready %d, %zu MiB resident\n", getpid(), mib);
  fflush(stdout);
  int children_seen = 0;
  for (long r = 1; rounds == 0 || r <= rounds; r++) {
    uint64_t sum = 0;
    for (size_t p = 0; p < pages; p++) {
      uint64_t *w = &mem[p * (page / 8) + (size_t)(r % 8)];
      *w = *w * 31 + r + p;
      sum = sum * 1099511628211u ^ *w;
      if (p % 256 == 255) getppid(); /* a recorded stop mid-change: a snapshot may fall here */
    }
    int c = children_now();
    if (c > children_seen) children_seen = c;
    printf("round %ld sum %016llx\n", r, (unsigned long long)sum);
    fflush(stdout);
    if (sleep_ms)
      nanosleep(&(struct timespec){sleep_ms / 1000, (sleep_ms % 1000) * 1000000}, NULL);
  }
  printf("sigchld %d children %d at the end %d\n", (int)sigchld_count, children_seen,
         children_now());
  return 0;
}
