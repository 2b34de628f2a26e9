/* clone with CLONE_UNTRACED: the child must still be recorded. */
#include "conf.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, NULL, NULL, NULL, NULL);
    CHECK(pid >= 0);
    if (pid == 0) {
        printf("child %d\n", getpid());
        fflush(stdout);
        _exit(2);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 2);
    PASS();
    return 0;
}
