/* syscall_cost [N]: what one getppid syscall costs, over N calls (default
 * 1000000), best of 5 rounds: wall time and the thread's CPU time (less
 * disturbed by other load on the machine). For docs/backends.md: run it
 * natively and under `rp record` to see what a backend adds per syscall. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    double wall = 1e30, cpu = 1e30;
    for (int round = 0; round < 5; round++) {
        double w0 = ns(CLOCK_MONOTONIC), c0 = ns(CLOCK_THREAD_CPUTIME_ID);
        for (long i = 0; i < n; i++) syscall(SYS_getppid);
        double w = (ns(CLOCK_MONOTONIC) - w0) / n, c = (ns(CLOCK_THREAD_CPUTIME_ID) - c0) / n;
        if (w < wall) wall = w;
        if (c < cpu) cpu = c;
    }
    printf("%.0f ns/syscall wall, %.0f ns cpu\n", wall, cpu);
    return 0;
}
