/* ppoll and pselect whose signal mask admits a signal blocked otherwise. */
#include "conf.h"
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

static pid_t send_later(pid_t to) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { usleep(30000); kill(to, SIGUSR1); _exit(0); }
    return pid;
}

int main(void) {
    sigset_t block, admit;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&admit);
    signal(SIGUSR1, on_usr1);
    CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = send_later(getpid());
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    struct timespec ts = {10, 0};
    CHECK(ppoll(&pfd, 1, &ts, &admit) == -1 && errno == EINTR && got == 1);
    CHECK(waitpid(c, NULL, 0) == c);
    c = send_later(getpid());
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    CHECK(pselect(p[0] + 1, &rd, NULL, NULL, &ts, &admit) == -1 && errno == EINTR && got == 2);
    CHECK(waitpid(c, NULL, 0) == c);
    PASS();
    return 0;
}
