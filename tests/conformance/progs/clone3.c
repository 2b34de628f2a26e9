/* clone3 for a process: either it works, or it fails with ENOSYS and the
 * program falls back to fork (as glibc does); both paths must replay. */
#include "conf.h"
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    struct clone_args args = {.exit_signal = SIGCHLD};
    long pid = syscall(SYS_clone3, &args, sizeof args);
    int used_clone3 = 1;
    if (pid < 0 && errno == ENOSYS) {
        used_clone3 = 0;
        pid = fork();
    }
    CHECK(pid >= 0);
    if (pid == 0) _exit(6);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 6);
    printf("clone3 %s\n", used_clone3 ? "used" : "refused");
    PASS();
    return 0;
}
