/* starved_return [ROUNDS]: a thread pinned to CPU 0 at SCHED_IDLE makes raw
 * getppid calls in a loop while the main thread sleeps 20 ms ROUNDS times
 * (default 50). Beside a busy loop on CPU 0 the idle thread often gets no
 * CPU for longer than the ptrace recorder's 50 ms timeslice after a call
 * returned, while the main thread waits for its turn: rp's preemption then
 * stops it before its first instruction after the call, at `after_call`.
 * Prints that address and "ROUNDS rounds" (tests/integration/starved_return.sh). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

extern const char after_call[];
static volatile int done;

/* One getppid through a syscall instruction whose return address is the
 * global label after_call (noinline: the label must exist once). */
__attribute__((noinline)) static long call_getppid(void) {
#if defined(__x86_64__)
    long ret = SYS_getppid;
    __asm__ volatile("syscall\n.globl after_call\nafter_call:\n"
                     : "+a"(ret) : : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = SYS_getppid;
    register long ret __asm__("x0");
    __asm__ volatile("svc #0\n.globl after_call\nafter_call:\n"
                     : "=r"(ret) : "r"(x8) : "memory");
#else
#error "x86_64 or aarch64"
#endif
    return ret;
}

static void *starved(void *arg) {
    (void)arg;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    struct sched_param p = {0};
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0 || sched_setscheduler(0, SCHED_IDLE, &p) != 0)
        abort();
    while (!done) call_getppid();
    return NULL;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 50;
    pthread_t t;
    if (pthread_create(&t, NULL, starved, NULL) != 0) return 1;
    struct timespec ts = {0, 20 * 1000 * 1000};
    for (long i = 0; i < rounds; i++) nanosleep(&ts, NULL);
    done = 1;
    if (pthread_join(t, NULL) != 0) return 1;
    printf("after_call=%p\n%ld rounds\n", (void *)after_call, rounds);
    return 0;
}
