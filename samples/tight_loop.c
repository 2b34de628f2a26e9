/* tight_loop: asynchronous signals in a loop of a few instructions run
 * millions of times, whose only state is a counter in a register. A 1 ms
 * interval timer (SIGALRM) interrupts it; replay must deliver each signal at
 * the recorded iteration, i.e. find one pass out of millions over the same
 * instruction (docs/design.md, "asynchronous points"). The final count
 * differs on every run and depends on where each signal landed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define SIGNALS 5
static volatile int fired;

static void on_alarm(int sig) {
    (void)sig;
    fired++;
}

/* The loop reads `fired` and bumps a counter kept in a register: each pass
 * over an instruction of it has different registers. */
static __attribute__((noinline)) unsigned long spin(void) {
    unsigned long n = 0;
    while (fired < SIGNALS) n++;
    return n;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long n = spin();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("%d signals after %lu iterations\n", SIGNALS, n);
    fflush(stdout);
    return 0;
}
