/* pidfd_open on a child, pidfd_send_signal to it, poll the pidfd for its
 * exit and reap it with waitid(P_PIDFD). */
#include "conf.h"
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (;;) pause();
    }
    int pfd = syscall(SYS_pidfd_open, pid, 0);
    CHECK(pfd >= 0);
    CHECK(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) == 0);
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
    siginfo_t si = {0};
    CHECK(waitid(P_PIDFD, pfd, &si, WEXITED) == 0);
    CHECK(si.si_pid == pid && si.si_code == CLD_KILLED && si.si_status == SIGTERM);
    printf("child killed by %d\n", si.si_status);
    PASS();
    return 0;
}
