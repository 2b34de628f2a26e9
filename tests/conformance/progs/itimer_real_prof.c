/* setitimer ITIMER_REAL (SIGALRM, while paused) and ITIMER_PROF (SIGPROF,
 * while spinning): the handlers count the signals. The spin count is not
 * printed: the loop keeps it in memory only, so its registers repeat and
 * replay may deliver a SIGPROF at an earlier pass (docs/design.md, "The
 * match is ambiguous"); with the count printed, 2 of 10 replays diverged. */
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
    CHECK(spin > 0);
    printf("alarms %d, profs %d\n", (int)alrm, (int)prof);
    PASS();
    return 0;
}
