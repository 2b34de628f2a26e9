/* attach_threads: a multithreaded process for `rp record -p` (attach) tests.
 * Usage: attach_threads FIFO. Two worker threads loop: each reads 8 bytes
 * from /dev/urandom and prints "wN I HEX" on stdout, then waits up to 10 ms
 * in poll(2) on a pipe the main thread holds. The main thread reads commands,
 * one per line, from FIFO (opened read-write: it never sees end-of-file):
 *   stop    close the pipe: the workers return, main joins them (pthread_join
 *           waits for the kernel to clear each worker's tid), prints
 *           "joined", exits 3
 *   crash   close the pipe: worker 1 dereferences NULL (SIGSEGV), worker 0 returns
 * Whether a worker stops is decided by its poll's result (a syscall), never
 * by a racy read of memory, so the run is the same under any schedule.
 * The workers' writes to stdout take turns (out_lock): two writes in the
 * kernel at once land in the file in an order no recorder sees (the ptrace
 * backend numbers their ends as it sees them, and one preempted inside its
 * write ended after the other's; replay then printed the two lines swapped,
 * 1 run of 20 on a loaded machine). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stop_pipe[2];
static volatile int crash_requested;  /* written before the pipe closes */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) abort();
  for (int i = 0;; i++) {
    uint64_t v = 0;
    if (read(fd, &v, sizeof v) != sizeof v) abort();
    char line[64];
    int n = snprintf(line, sizeof line, "w%d %d %016llx\n", id, i, (unsigned long long)v);
    pthread_mutex_lock(&out_lock);
    if (write(1, line, (size_t)n) != n) abort();
    pthread_mutex_unlock(&out_lock);
    struct pollfd p = {.fd = stop_pipe[0], .events = POLLIN};
    if (poll(&p, 1, 10) > 0) break;
  }
  close(fd);
  if (id == 1 && crash_requested) *(volatile int *)0 = 1;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: attach_threads FIFO\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "r+");
  if (!in || pipe(stop_pipe) != 0) {
    perror("attach_threads");
    return 2;
  }
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) abort();
  char cmd[64];
  while (fgets(cmd, sizeof cmd, in)) {
    if (strcmp(cmd, "stop\n") != 0 && strcmp(cmd, "crash\n") != 0) continue;
    crash_requested = cmd[0] == 'c';
    close(stop_pipe[1]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("joined\n");
    return 3;
  }
  return 2;
}
