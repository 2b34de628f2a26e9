/* A thread spins on a flag another thread sets, changing nothing while it
 * spins (`while (!flag);`): its registers and memory are the same on every
 * pass, so the pass where the recording switched it out cannot be told from
 * the first, and need not be: replay takes the first (a fixed point, not an
 * ambiguous point; samples/spin_flag.c counts its passes and is one). */
#include "conf.h"
#include <pthread.h>

static volatile int flag, done;

static void *spin(void *arg) {
    (void)arg;
    while (!flag) {
    }
    done = 1;
    return NULL;
}

int main(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, spin, NULL) == 0);
    usleep(20000);
    flag = 1;
    while (!done) {
    }
    CHECK(pthread_join(t, NULL) == 0);
    PASS();
    return 0;
}
