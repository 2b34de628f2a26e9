/* Threads waiting on a futex while another thread exits; joins through the
 * kernel's CLONE_CHILD_CLEARTID wake-up. */
#include "conf.h"
#include <pthread.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int released;

static void *waiter(void *arg) {
    pthread_mutex_lock(&m);
    while (!released) pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return arg;
}

static void *quitter(void *arg) {
    usleep(20000);
    return arg;
}

int main(void) {
    pthread_t w[3], q;
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&w[i], NULL, waiter, NULL) == 0);
    CHECK(pthread_create(&q, NULL, quitter, NULL) == 0);
    CHECK(pthread_join(q, NULL) == 0);
    pthread_mutex_lock(&m);
    released = 1;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 3; i++) CHECK(pthread_join(w[i], NULL) == 0);
    PASS();
    return 0;
}
