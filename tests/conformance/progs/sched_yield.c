/* Two threads alternate through a shared flag, handing the CPU over with
 * sched_yield instead of blocking. */
#include "conf.h"
#include <pthread.h>
#include <sched.h>

static volatile int turn;

static void *player(void *arg) {
    int me = (int)(long)arg;
    for (int i = 0; i < 100; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_SEQ_CST) != me) sched_yield();
        __atomic_store_n(&turn, 1 - me, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int main(void) {
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, player, (void *)0L) == 0);
    CHECK(pthread_create(&b, NULL, player, (void *)1L) == 0);
    CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
    PASS();
    return 0;
}
