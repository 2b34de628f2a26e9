/* futex operations that write user memory: FUTEX_WAKE_OP applies its
 * operation to the second word, and the priority-inheritance operations
 * store the owner's tid in the futex word (or clear it). Replay must leave
 * the words as the kernel did. */
#define _GNU_SOURCE
#include "conf.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

static int word, word2;

static long futex(int *uaddr, int op, int val, void *timeout, int *uaddr2, int val3) {
    return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static void *waker(void *arg) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    long woken = futex(&word, FUTEX_WAKE_OP, 1, NULL, &word2,
                       FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
    printf("wake_op woke %ld, second word %d\n", woken, word2);
    return arg;
}

int main(void) {
    word2 = 2;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, waker, NULL) == 0);
    struct timespec limit = {0, 50 * 1000 * 1000};  /* a wake that came first is not waited for */
    while (__atomic_load_n(&word2, __ATOMIC_SEQ_CST) == 2) futex(&word, FUTEX_WAIT, 0, &limit, NULL, 0);
    CHECK(pthread_join(t, NULL) == 0);
    printf("after the wait: second word %d\n", word2);
    CHECK(word2 == 7);

    /* Called directly on a free word, FUTEX_LOCK_PI takes it for the caller
     * (its tid in the word) and FUTEX_UNLOCK_PI frees it. */
    int tid = (int)syscall(SYS_gettid);
    CHECK(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0) == 0);
    printf("locked: word holds the tid: %d\n", (word & FUTEX_TID_MASK) == tid);
    CHECK((word & FUTEX_TID_MASK) == tid);
    CHECK(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) == 0);
    printf("unlocked: word %d\n", word);
    CHECK(word == 0);
    CHECK(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0) == 0 && (word & FUTEX_TID_MASK) == tid);
    PASS();
    return 0;
}
