/* A parent that blocks SIGCHLD and takes it synchronously: sigwaitinfo for
 * the first children, sigtimedwait for the rest, reaping after each signal
 * (several exits may share one pending SIGCHLD); the last child is killed
 * by the parent, so one siginfo says CLD_KILLED. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define KIDS 4

static int reaped, status_sum, killed;

static void reap(void) {
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        reaped++;
        if (WIFEXITED(st)) status_sum += WEXITSTATUS(st);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) killed++;
    }
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    pid_t last = 0;
    for (int i = 0; i < KIDS; i++) {
        pid_t p = fork();
        CHECK(p >= 0);
        if (p == 0) {
            if (i == KIDS - 1) for (;;) pause();
            usleep(1000 * (i + 1));
            _exit(10 + i);
        }
        last = p;
    }
    int waits = 0, codes = 0;
    while (reaped < KIDS - 1) {
        siginfo_t si;
        int sig;
        if (waits % 2 == 0) {
            sig = sigwaitinfo(&set, &si);
        } else {
            struct timespec ts = {10, 0};
            sig = sigtimedwait(&set, &si, &ts);
        }
        CHECK(sig == SIGCHLD && si.si_signo == SIGCHLD && si.si_pid > 0);
        codes |= 1 << si.si_code;
        waits++;
        reap();
    }
    /* A child that exited between a signal and the reap left one pending. */
    siginfo_t si;
    struct timespec none = {0, 0};
    while (sigtimedwait(&set, &si, &none) == SIGCHLD) {}
    CHECK(errno == EAGAIN);
    CHECK(kill(last, SIGTERM) == 0);
    struct timespec ts = {10, 0};
    CHECK(sigtimedwait(&set, &si, &ts) == SIGCHLD);
    CHECK(si.si_pid == last && si.si_code == CLD_KILLED && si.si_status == SIGTERM);
    reap();
    CHECK(reaped == KIDS && killed == 1 && (codes & (1 << CLD_EXITED)));
    CHECK(sigtimedwait(&set, &si, &none) == -1 && errno == EAGAIN);
    printf("reaped %d children (exit codes sum %d, %d killed)\n", reaped, status_sum, killed);
    PASS();
    return 0;
}
