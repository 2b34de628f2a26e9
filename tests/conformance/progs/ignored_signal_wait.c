/* Signals a program ignores (SIGCHLD and SIGWINCH by default, one set to
 * SIG_IGN) never interrupt its calls: epoll_wait and sigtimedwait, which
 * return EINTR on any signal they are woken by, wait on to their timeouts.
 * A traced program is sent ignored signals too (the kernel queues them for
 * the tracer): the recording must not show it an EINTR. */
#include "conf.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>

/* A child that, once told through the pipe, sends the parent `sig` and exits. */
static pid_t signaller(int *go, int sig) {
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(p[1]);
        if (read(p[0], &c, 1) != 1) _exit(2);
        usleep(20000);
        kill(getppid(), sig);
        _exit(0);
    }
    close(p[0]);
    *go = p[1];
    return pid;
}

static void reap(pid_t pid) {
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void) {
    int ep = epoll_create1(0), go;
    CHECK(ep >= 0);
    struct epoll_event ev;
    pid_t pid = signaller(&go, SIGWINCH);
    CHECK(write(go, "g", 1) == 1);
    CHECK(epoll_wait(ep, &ev, 1, 400) == 0);  /* SIGWINCH, then SIGCHLD, both by default */
    reap(pid);

    signal(SIGURG, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    pid = signaller(&go, SIGURG);
    CHECK(write(go, "g", 1) == 1);
    struct timespec ts = {0, 400 * 1000 * 1000};
    CHECK(sigtimedwait(&set, NULL, &ts) == -1 && errno == EAGAIN);
    reap(pid);
    PASS();
    return 0;
}
