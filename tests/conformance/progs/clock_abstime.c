/* clock_nanosleep to an absolute deadline; the time it wakes at (printed
 * in nanoseconds) differs every run. */
#include "conf.h"
#include <time.h>

int main(void) {
    struct timespec now, until;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &now) == 0);
    until = now;
    until.tv_nsec += 20000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0);
    struct timespec after;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &after) == 0);
    long long late = (after.tv_sec - until.tv_sec) * 1000000000LL + (after.tv_nsec - until.tv_nsec);
    CHECK(late >= 0);
    printf("woke %lld ns after the deadline\n", late);
    PASS();
    return 0;
}
