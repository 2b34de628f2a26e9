/* A futex wait interrupted by a signal: a timed wait gives EINTR; an untimed
 * one is restarted after an SA_RESTART handler and returns when a thread wakes it. */
#include "conf.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t hits;
static int word;
static void on_alarm(int sig) { (void)sig; hits++; }

static void *waker(void *arg) {
    (void)arg;
    usleep(300000);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

int main(void) {
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    struct sigaction sa = {.sa_handler = on_alarm};
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = {.it_value = {0, 30000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    struct timespec ts = {5, 0};
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    CHECK(r == -1 && errno == EINTR && hits == 1);

    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    pthread_sigmask(SIG_BLOCK, &alrm, NULL); /* the alarm must hit main, not the waker */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, waker, NULL) == 0);
    pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0) {
        r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        CHECK(r == 0 || errno == EAGAIN);
    }
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(hits == 2);
    PASS();
    return 0;
}
