/* A robust mutex whose owner thread exits holding it: the next locker gets
 * EOWNERDEAD, makes it consistent, and threads keep waiting on it. */
#include "conf.h"
#include <pthread.h>

static pthread_mutex_t m;

static void *die_holding(void *arg) {
    CHECK(pthread_mutex_lock(&m) == 0);
    return arg;
}

static void *contender(void *arg) {
    int r = pthread_mutex_lock(&m);
    if (r == EOWNERDEAD) CHECK(pthread_mutex_consistent(&m) == 0);
    else CHECK(r == 0);
    usleep(1000);
    CHECK(pthread_mutex_unlock(&m) == 0);
    return arg;
}

int main(void) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    CHECK(pthread_mutex_init(&m, &a) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, die_holding, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    pthread_t c[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&c[i], NULL, contender, NULL) == 0);
    for (int i = 0; i < 3; i++) CHECK(pthread_join(c[i], NULL) == 0);
    CHECK(pthread_mutex_lock(&m) == 0);
    CHECK(pthread_mutex_unlock(&m) == 0);
    PASS();
    return 0;
}
