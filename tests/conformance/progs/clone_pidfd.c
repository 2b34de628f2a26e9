/* clone with CLONE_PIDFD; the pidfd polls readable at exit and waitid(P_PIDFD) reaps.
 * A pipe opened first: in replay (where it is not opened) the kernel's pidfd
 * has another number than the recorded one, which the program must see. */
#include "conf.h"
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    int pidfd = -1, p[2];
    CHECK(pipe(p) == 0);
    long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, NULL);
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(20000);
        _exit(4);
    }
    CHECK(pidfd >= 0);
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 10000) == 1 && (pfd.revents & POLLIN));
    siginfo_t si = {0};
    CHECK(waitid(P_PIDFD, pidfd, &si, WEXITED) == 0);
    CHECK(si.si_pid == pid && si.si_status == 4);
    printf("child %ld, pidfd %d after the pipe's %d\n", pid, pidfd, p[1]);
    CHECK(pidfd == p[1] + 1);
    PASS();
    return 0;
}
