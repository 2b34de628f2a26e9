/* Two threads take turns through an atomic, yielding the CPU until their
 * turn comes: sched_yield must hand it to the other thread (under a
 * recorder that runs one thread at a time, a yield that does not made a
 * recording of over a million calls). */
#include "conf.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define TURNS 500

static atomic_int turn;
static int yields[2];

static void *player(void *arg) {
    int me = (int)(long)arg;
    for (int i = 0; i < TURNS; i++) {
        while (atomic_load(&turn) != me) {
            sched_yield();
            yields[me]++;
        }
        atomic_store(&turn, 1 - me);
    }
    return NULL;
}

int main(void) {
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, player, (void *)0) == 0);
    CHECK(pthread_create(&b, NULL, player, (void *)1) == 0);
    CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
    CHECK(atomic_load(&turn) == 0);
    PASS();
    return 0;
}
