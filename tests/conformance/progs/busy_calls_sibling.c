/* A thread that does nothing but quick calls (getppid, again and again)
 * while its sibling sleeps: when the sleeper wakes it must get to run, as
 * the kernel's timeslice would let it, however often the busy thread enters
 * and leaves the kernel. The recorder once let a thread whose calls each
 * returned at once keep the CPU for good: the sleeper woke seconds late, if
 * ever. Natively it wakes within milliseconds; 3 s is far beyond a loaded
 * machine's timeslices. */
#include "conf.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

static void *busy(void *arg) {
    (void)arg;
    for (;;) syscall(SYS_getppid);
    return NULL;
}

int main(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, busy, NULL) == 0);
    /* Blocked long enough for the busy thread to be given the CPU. */
    struct timespec ts = {0, 20 * 1000 * 1000}, t0, t1;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
    CHECK(nanosleep(&ts, NULL) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
    CHECK(t1.tv_sec - t0.tv_sec < 3);
    PASS();
    return 0;  /* exit_group ends the busy thread */
}
