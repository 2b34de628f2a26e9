/* setitimer ITIMER_REAL (SIGALRM, while paused) and ITIMER_PROF (SIGPROF,
 * while spinning): the handlers count the signals. */
#include "conf.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t alrm, prof;
static void on_alrm(int s) { (void)s; alrm++; }
static void on_prof(int s) { (void)s; prof++; }

int main(void) {
    signal(SIGALRM, on_alrm);
    signal(SIGPROF, on_prof);
    struct itimerval t = {.it_value = {0, 10000}};
    CHECK(setitimer(ITIMER_REAL, &t, NULL) == 0);
    while (!alrm) pause();
    struct itimerval p = {.it_interval = {0, 2000}, .it_value = {0, 2000}};
    CHECK(setitimer(ITIMER_PROF, &p, NULL) == 0);
    volatile unsigned long spin = 0;
    while (prof < 3) spin++;
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_PROF, &off, NULL) == 0);
    printf("alarms %d, profs %d, spins %lu\n", (int)alrm, (int)prof, spin);
    PASS();
    return 0;
}
