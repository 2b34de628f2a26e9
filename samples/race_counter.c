/* race_counter [ITERS] [escape|rdtsc]: a plain data race. 4 threads each add 1 to a
 * shared counter ITERS times (default 5000) without a lock: each reads the
 * counter, computes for a while (an unrolled mixing function: the window in
 * which a switch loses updates), then writes back what it read plus one. The
 * final count differs on every native run; a replay must print the recorded
 * one, so every switch between threads must happen at the same instruction.
 * It also prints the CPUs the threads ran on (sched_getcpu every 64
 * iterations). With "escape", each thread first asks sched_setaffinity for
 * every CPU but the one it is on (prints whether the call succeeded): under
 * rp's kernel backends it must still run on the recording's one CPU.
 * With "rdtsc", every 16th iteration also mixes in the time-stamp counter:
 * rp traps rdtsc (a signal stop in user code) while threads switch.
 * The loop body is long straight-line code, as in alarm_loop: replay finds a
 * recorded switch by breaking at its instruction and comparing registers, so
 * its cost grows with how often that instruction ran (once per iteration). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#define TSC() __rdtsc()
#else
#define TSC() 0 /* rdtsc mode: x86_64 only */
#endif

#define NTHREADS 4

static volatile long counter;
static long iters = 5000;
static int escape, tsc;
static unsigned long cpus_seen[NTHREADS];
static int escaped[NTHREADS];

#define MIX(x) x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ULL + 0x9e3779b97f4a7c15ULL;
#define MIX8(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x)
#define MIX64(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x)
#define MIX512(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x)

static __attribute__((noinline)) unsigned long long mix(unsigned long long x) {
    MIX512(x) MIX512(x) MIX512(x) MIX512(x)
    return x;
}

/* Asks to run anywhere but here: 1 if the kernel said yes. */
static int try_escape(void) {
    int here = sched_getcpu();
    long n = sysconf(_SC_NPROCESSORS_CONF);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c = 0; c < n && c < CPU_SETSIZE; c++)
        if (c != here) CPU_SET(c, &set);
    return CPU_COUNT(&set) > 0 && sched_setaffinity(0, sizeof set, &set) == 0;
}

static void *worker(void *arg) {
    int id = (int)(long)arg;
    unsigned long long x = (unsigned long long)id + 1;
    if (escape) escaped[id] = try_escape();
    for (long i = 0; i < iters; i++) {
        long v = counter;
        x = mix(x);
        counter = v + 1;
        if (tsc && i % 16 == 0) x ^= TSC();
        if (i % 64 == 0) cpus_seen[id] |= 1ul << (sched_getcpu() & 63);
    }
    return (void *)(unsigned long)(x & 0xffff);
}


int main(int argc, char **argv) {
    if (argc > 1) iters = strtol(argv[1], NULL, 10);
    escape = argc > 2 && strcmp(argv[2], "escape") == 0;
    tsc = argc > 2 && strcmp(argv[2], "rdtsc") == 0;
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    unsigned long cpus = 0, state = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        state = state * 65599 + (unsigned long)r;
        cpus |= cpus_seen[i];
    }
    if (escape)
        for (int i = 0; i < NTHREADS; i++) printf("thread %d: sched_setaffinity %s\n", i,
                                                  escaped[i] ? "succeeded" : "failed");
    printf("count %ld of %ld, state %lx\n", counter, NTHREADS * iters, state);
    printf("cpus");
    for (int c = 0; c < 64; c++)
        if (cpus & (1ul << c)) printf(" %d", c);
    printf("\n");
    return 0;
}
