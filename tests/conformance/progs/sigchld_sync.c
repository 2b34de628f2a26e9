/* A parent that blocks SIGCHLD and takes it synchronously, twice over with
 * several children: first with sigwaitinfo and sigtimedwait in turn, then by
 * reading a signalfd it polls. It reaps after each signal (several exits may
 * share one pending SIGCHLD; one signalfd read may return several). The last
 * child of each round is killed by the parent: its siginfo says CLD_KILLED. */
#include "conf.h"
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#define KIDS 4

static sigset_t chld;
static int reaped, status_sum, killed;

static void reap(void) {
    int st;
    while (waitpid(-1, &st, WNOHANG) > 0) {
        reaped++;
        if (WIFEXITED(st)) status_sum += WEXITSTATUS(st);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) killed++;
    }
}

/* Starts KIDS children: all exit with 10 + i after a short sleep but the
 * last, which waits to be killed; returns that one. */
static pid_t spawn(void) {
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
    return last;
}

/* One siginfo (si_pid, si_code) per call: with sigwaitinfo/sigtimedwait, or,
 * fd >= 0, from the signalfd (timeout 10 s); zero timeout and nothing
 * pending: 0. */
static int take(int fd, int how, pid_t *pid, int *code) {
    if (fd >= 0) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, how ? 10000 : 0) == 0) return 0;
        struct signalfd_siginfo si[KIDS];
        ssize_t n = read(fd, si, sizeof si);
        CHECK(n > 0 && n % sizeof si[0] == 0 && si[0].ssi_signo == SIGCHLD);
        *pid = si[0].ssi_pid, *code = si[0].ssi_code;
        return 1;
    }
    siginfo_t si;
    struct timespec ts = {how ? 10 : 0, 0};
    int sig = how == 1 ? sigwaitinfo(&chld, &si) : sigtimedwait(&chld, &si, &ts);
    if (sig < 0 && errno == EAGAIN && !how) return 0;
    CHECK(sig == SIGCHLD && si.si_signo == SIGCHLD);
    *pid = si.si_pid, *code = si.si_code;
    return 1;
}

static void round_of(int fd) {
    reaped = 0;
    pid_t last = spawn(), pid;
    int code, waits = 0;
    while (reaped < KIDS - 1) {
        CHECK(take(fd, 1 + waits++ % 2, &pid, &code) == 1);  /* sigwaitinfo, sigtimedwait */
        CHECK(pid > 0 && code == CLD_EXITED);
        reap();
    }
    /* A child that exited between a signal and the reap left one pending. */
    while (take(fd, 0, &pid, &code)) {}
    CHECK(kill(last, SIGTERM) == 0);
    CHECK(take(fd, 2, &pid, &code) == 1);
    CHECK(pid == last && code == CLD_KILLED);
    reap();
    CHECK(reaped == KIDS && !take(fd, 0, &pid, &code));
}

int main(void) {
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &chld, NULL) == 0);
    round_of(-1);
    int fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    CHECK(fd >= 0);
    round_of(fd);
    printf("reaped %d children twice (exit codes sum %d, %d killed)\n", KIDS, status_sum, killed);
    PASS();
    return 0;
}
