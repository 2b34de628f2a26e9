/* pidfd_getfd: the parent takes a copy of its child's pipe descriptor and
 * reads what the child wrote into it. */
#include "conf.h"
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    int sync[2];
    CHECK(pipe(sync) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int p[2];
        if (pipe(p) != 0 || dup2(p[0], 40) != 40 || write(p[1], "through the child", 17) != 17)
            _exit(2);
        if (write(sync[1], "r", 1) != 1) _exit(2);
        pause();
        _exit(0);
    }
    char c, buf[32] = {0};
    CHECK(read(sync[0], &c, 1) == 1);
    int pfd = syscall(SYS_pidfd_open, pid, 0);
    CHECK(pfd >= 0);
    int fd = syscall(SYS_pidfd_getfd, pfd, 40, 0);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf - 1) == 17);
    printf("got: %s\n", buf);
    CHECK(kill(pid, SIGKILL) == 0 && waitpid(pid, NULL, 0) == pid);
    PASS();
    return 0;
}
