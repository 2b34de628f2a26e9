/* clock: nondeterminism from time (clock_gettime REALTIME/MONOTONIC, gettimeofday).
 * Uses raw syscall(2) rather than the libc wrappers so the calls are real
 * syscalls (not vDSO) and visible to ptrace. A test checks replay prints the
 * recorded times. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec rt, mono;
    struct timeval tv;
    if (syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt) != 0 ||
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &mono) != 0 ||
        syscall(SYS_gettimeofday, &tv, NULL) != 0) {
        perror("clock syscall");
        return 1;
    }
    printf("realtime=%lld.%09ld\n", (long long)rt.tv_sec, rt.tv_nsec);
    printf("monotonic=%lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
    printf("gettimeofday=%lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);
    fflush(stdout);
    return 0;
}
