/* alarm_loop: asynchronous signals arriving in the middle of user code. A
 * 2 ms interval timer (SIGALRM) interrupts a busy loop; the handler records
 * how far the loop had got. The counts differ on every run; replay must
 * deliver each signal at the same instruction with the same registers.
 * The loop body is long straight-line code (an unrolled mixing function), as
 * in real compute kernels: replay finds the recorded point by breaking at its
 * instruction and comparing registers, so its cost grows with how often that
 * one instruction ran, here once per outer iteration (see docs/design.md). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define SIGNALS 5
static volatile unsigned long counter;
static volatile int fired;
static unsigned long seen[SIGNALS];

#define MIX(x) x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ULL + 0x9e3779b97f4a7c15ULL;
#define MIX8(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x)
#define MIX64(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x) MIX8(x)
#define MIX512(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x) MIX64(x)

static __attribute__((noinline)) unsigned long long mix(unsigned long long x) {
    MIX512(x) MIX512(x) MIX512(x) MIX512(x)
    return x;
}

static void on_alarm(int sig) {
    (void)sig;
    if (fired < SIGNALS) seen[fired] = counter;
    /* The last one stops the timer here: where delivering a signal takes
     * longer than its 2 ms period (an emulated CPU, under ptrace), the next
     * one is due when each handler returns and the loop may not get to see
     * `fired` for hundreds of signals (up to 430 in the arm64 VM). */
    if (++fired == SIGNALS) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
    }
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long long x = 1;
    while (fired < SIGNALS) {
        x = mix(x);
        counter++;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    for (int i = 0; i < SIGNALS; i++) printf("signal %d at iteration %lu\n", i, seen[i]);
    printf("state %016llx\n", x);
    fflush(stdout);
    return 0;
}
