/* vfork + exec, then pidfd_open on a forked child and pidfd_send_signal. */
#include "conf.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    pid_t v = vfork();
    CHECK(v >= 0);
    if (v == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    int st;
    CHECK(waitpid(v, &st, 0) == v && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    CHECK(pidfd >= 0);
    CHECK(syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    PASS();
    return 0;
}
