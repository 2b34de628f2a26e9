/* A parent that blocks SIGCHLD and reads it from a signalfd it polls,
 * reaping after each read (several exits may share one pending SIGCHLD;
 * one read may return several siginfos); the last child is killed by the
 * parent, so one siginfo says CLD_KILLED. */
#include "conf.h"
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

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

/* Waits for the signalfd, reads what is there; returns the siginfos read. */
static int take(int fd, struct signalfd_siginfo *si, int max) {
    struct pollfd pf = {fd, POLLIN, 0};
    CHECK(poll(&pf, 1, 10000) == 1 && (pf.revents & POLLIN));
    ssize_t n = read(fd, si, max * sizeof *si);
    CHECK(n > 0 && n % sizeof *si == 0);
    for (int i = 0; i < n / (ssize_t)sizeof *si; i++) CHECK(si[i].ssi_signo == SIGCHLD);
    return n / sizeof *si;
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    CHECK(fd >= 0);
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
    struct signalfd_siginfo si[KIDS];
    while (reaped < KIDS - 1) {
        int n = take(fd, si, KIDS);
        CHECK(si[0].ssi_code == CLD_EXITED && si[0].ssi_pid > 0);
        (void)n;
        reap();
    }
    /* A child that exited between a read and the reap left one pending. */
    while (read(fd, si, sizeof si) > 0) {}
    CHECK(errno == EAGAIN);
    CHECK(kill(last, SIGTERM) == 0);
    take(fd, si, 1);
    CHECK(si[0].ssi_pid == (uint32_t)last && si[0].ssi_code == CLD_KILLED &&
          si[0].ssi_status == SIGTERM);
    reap();
    CHECK(reaped == KIDS && killed == 1);
    CHECK(read(fd, si, sizeof si) == -1 && errno == EAGAIN);
    printf("reaped %d children (exit codes sum %d, %d killed)\n", reaped, status_sum, killed);
    PASS();
    return 0;
}
