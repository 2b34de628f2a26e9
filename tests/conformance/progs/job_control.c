/* Job control: SIGSTOP/SIGCONT/SIGTSTP to a child, seen by waitpid with
 * WUNTRACED and WCONTINUED. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* A group of its own whose parent is outside it: not orphaned, so
         * the kernel does not discard SIGTSTP. */
        setpgid(0, 0);
        for (int i = 0; i < 200; i++) usleep(5000);
        _exit(5);
    }
    int st;
    setpgid(pid, pid);
    CHECK(kill(pid, SIGSTOP) == 0);
    CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(kill(pid, SIGCONT) == 0);
    CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
    CHECK(kill(pid, SIGTSTP) == 0);
    CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
    CHECK(kill(pid, SIGCONT) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    PASS();
    return 0;
}
