/* FUTEX_CMP_REQUEUE moves waiters from one futex to another; a priority-
 * inheritance mutex (FUTEX_LOCK_PI/UNLOCK_PI) is contended by threads, held
 * first while they block on it: a contender's FUTEX_LOCK_PI sets the
 * waiters bit in the word as it blocks, which sends the owner's unlock to
 * the kernel (FUTEX_UNLOCK_PI) instead of the user-space fast path. */
#include "conf.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>

static int cond_word, mutex_word, woken;
static pthread_mutex_t pi;
static long counter;

static void *waiter(void *arg) {
    while (__atomic_load_n(&cond_word, __ATOMIC_SEQ_CST) == 0)
        syscall(SYS_futex, &cond_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    __atomic_fetch_add(&woken, 1, __ATOMIC_SEQ_CST);
    return arg;
}

static void *pi_user(void *arg) {
    for (int i = 0; i < 200; i++) {
        CHECK(pthread_mutex_lock(&pi) == 0);
        counter++;
        CHECK(pthread_mutex_unlock(&pi) == 0);
    }
    return arg;
}

int main(void) {
    pthread_t w[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&w[i], NULL, waiter, NULL) == 0);
    usleep(50000);
    __atomic_store_n(&cond_word, 1, __ATOMIC_SEQ_CST);
    /* wake one, requeue the rest onto mutex_word, then wake those there */
    long r = syscall(SYS_futex, &cond_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &mutex_word, 1);
    CHECK(r >= 0);
    while (__atomic_load_n(&woken, __ATOMIC_SEQ_CST) < 3) {
        syscall(SYS_futex, &mutex_word, FUTEX_WAKE_PRIVATE, 3, NULL, NULL, 0);
        syscall(SYS_futex, &cond_word, FUTEX_WAKE_PRIVATE, 3, NULL, NULL, 0);
        usleep(1000);
    }
    for (int i = 0; i < 3; i++) CHECK(pthread_join(w[i], NULL) == 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    CHECK(pthread_mutex_init(&pi, &a) == 0);
    CHECK(pthread_mutex_lock(&pi) == 0);
    pthread_t u[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&u[i], NULL, pi_user, NULL) == 0);
    usleep(20000);  /* the contenders block in FUTEX_LOCK_PI */
    printf("waiters bit while held: %d\n", (*(int *)&pi & FUTEX_WAITERS) != 0);
    CHECK(pthread_mutex_unlock(&pi) == 0);
    pi_user(NULL);
    for (int i = 0; i < 3; i++) CHECK(pthread_join(u[i], NULL) == 0);
    CHECK(counter == 800);
    PASS();
    return 0;
}
