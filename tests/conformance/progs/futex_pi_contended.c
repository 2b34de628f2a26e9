/* A priority-inheritance mutex held while other threads block on it, then
 * passed around under contention. A contender's FUTEX_LOCK_PI sets the
 * waiters bit in the word as it blocks, which sends the owner's unlock to
 * the kernel (FUTEX_UNLOCK_PI) instead of the user-space fast path. */
#include "conf.h"
#include <linux/futex.h>
#include <pthread.h>
#include <time.h>

static pthread_mutex_t pi;
static int counter;

static void *contender(void *arg) {
    for (int i = 0; i < 200; i++) {
        CHECK(pthread_mutex_lock(&pi) == 0);
        counter++;
        CHECK(pthread_mutex_unlock(&pi) == 0);
    }
    return arg;
}

int main(void) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
    CHECK(pthread_mutex_init(&pi, &a) == 0);
    CHECK(pthread_mutex_lock(&pi) == 0);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, contender, NULL) == 0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);  /* the contenders block in FUTEX_LOCK_PI */
    printf("waiters bit while held: %d\n", (*(int *)&pi & FUTEX_WAITERS) != 0);
    CHECK(pthread_mutex_unlock(&pi) == 0);
    contender(NULL);
    for (int i = 0; i < 3; i++) CHECK(pthread_join(t[i], NULL) == 0);
    printf("counter %d\n", counter);
    CHECK(counter == 800);
    PASS();
    return 0;
}
