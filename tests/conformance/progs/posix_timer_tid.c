/* A POSIX timer that signals one thread (SIGEV_THREAD_ID), taken there with
 * sigwaitinfo; the main thread waits for it. */
#include "conf.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

static int value;

static void *waiter(void *arg) {
    (void)arg;
    timer_t id;
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN + 1};
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    ev.sigev_value.sival_int = 4242;
    if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0) return (void *)1;
    struct itimerspec its = {.it_value = {0, 10000000}};
    if (timer_settime(id, 0, &its, NULL) != 0) return (void *)1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    siginfo_t si;
    if (sigwaitinfo(&set, &si) != SIGRTMIN + 1) return (void *)1;
    value = si.si_value.sival_int;
    timer_delete(id);
    return NULL;
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);  /* inherited by the thread */
    pthread_t t;
    void *r;
    CHECK(pthread_create(&t, NULL, waiter, NULL) == 0);
    CHECK(pthread_join(t, &r) == 0 && r == NULL);
    printf("timer value %d\n", value);
    PASS();
    return 0;
}
