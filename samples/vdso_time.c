/* vdso_time: nondeterminism from time read through the vDSO.
 * Unlike clock.c this uses the ordinary libc wrappers, which jump into the
 * vDSO and never enter the kernel: a syscall tracer sees nothing unless it
 * patches the vDSO. A test checks that replay prints the recorded values. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

int main(void) {
    struct timespec rt, mono;
    struct timeval tv;
    unsigned cpu = 0, node = 0;
    if (clock_gettime(CLOCK_REALTIME, &rt) != 0 || clock_gettime(CLOCK_MONOTONIC, &mono) != 0 ||
        gettimeofday(&tv, NULL) != 0 || getcpu(&cpu, &node) != 0) {
        perror("vdso_time");
        return 1;
    }
    time_t t = time(NULL);
    printf("realtime=%lld.%09ld\n", (long long)rt.tv_sec, rt.tv_nsec);
    printf("monotonic=%lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
    printf("gettimeofday=%lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);
    printf("time=%lld\n", (long long)t);
    printf("cpu=%u node=%u\n", cpu, node);
    fflush(stdout);
    return 0;
}
