/* Realtime signals queued several deep with values arrive once each, in
 * order; sigwaitinfo and sigtimedwait dequeue others. */
#include "conf.h"
#include <signal.h>

static int seen[16], nseen;
static void on_rt(int s, siginfo_t *si, void *c) { (void)s; (void)c; seen[nseen++] = si->si_value.sival_int; }

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    struct sigaction sa = {.sa_sigaction = on_rt, .sa_flags = SA_SIGINFO};
    CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0);
    for (int i = 0; i < 5; i++) CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 10 + i}) == 0);
    for (int i = 0; i < 3; i++) CHECK(sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 20 + i}) == 0);
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGRTMIN + 1);
    siginfo_t si;
    CHECK(sigwaitinfo(&only1, &si) == SIGRTMIN + 1 && si.si_value.sival_int == 20);
    struct timespec zero = {0, 0};
    CHECK(sigtimedwait(&only1, &si, &zero) == SIGRTMIN + 1 && si.si_value.sival_int == 21);
    sigset_t only0;
    sigemptyset(&only0);
    sigaddset(&only0, SIGRTMIN);
    CHECK(sigprocmask(SIG_UNBLOCK, &only0, NULL) == 0);
    CHECK(nseen == 5);
    for (int i = 0; i < 5; i++) CHECK(seen[i] == 10 + i);
    CHECK(sigtimedwait(&only1, &si, &zero) == SIGRTMIN + 1 && si.si_value.sival_int == 22);
    PASS();
    return 0;
}
