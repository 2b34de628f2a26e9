/* getppid_loop [N]: microbenchmark of per-syscall recording overhead.
 * Makes N (default 1000000) raw getppid syscalls, prints the last result and N.
 * A test/benchmark times native vs. record vs. replay. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    long last = 0;
    for (long i = 0; i < n; i++)
        last = syscall(SYS_getppid);
    printf("ppid=%ld n=%ld\n", last, n);
    fflush(stdout);
    return 0;
}
