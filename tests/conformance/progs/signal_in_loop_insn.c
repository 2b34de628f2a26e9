/* Timer signals land in a delay loop made of the x86 `loop` instruction
 * (rel8 only: replay's conditional trap relocates it as lea + jrcxz). The
 * handler counts them and the loops run until three arrived: replay must
 * find each signal's point inside the loop. */
#include "conf.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t ticks;

static void tick(int sig) {
    (void)sig;
    ticks++;
}

/* Each round's count differs, so no two passes of the loop look alike. */
static void delay(long round) {
#if defined(__x86_64__)
    __asm__ volatile("mov %0, %%rcx\n\t"
                     "1: loop 1b\n\t"
                     : : "r"(2000000 + round) : "rcx");
#else
    for (volatile long i = 0; i < 2000000 + round; i++) {
    }
#endif
}

int main(void) {
    CHECK(signal(SIGPROF, tick) != SIG_ERR);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    CHECK(setitimer(ITIMER_PROF, &it, NULL) == 0);
    long rounds = 0;
    while (ticks < 3) {
        delay(rounds);
        rounds++;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_PROF, &off, NULL) == 0);
    printf("%d ticks after %ld delay loops\n", (int)ticks, rounds);
    PASS();
    return 0;
}
