/* A tracer decides which signal its tracee gets: the first stop's signal is
 * passed on unchanged, the second is replaced by another one, the third is
 * dropped. The tracee's handlers count what arrived. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static volatile sig_atomic_t usr1, usr2, urg;
static void on_sig(int sig) {
    if (sig == SIGUSR1) usr1++;
    if (sig == SIGUSR2) usr2++;
    if (sig == SIGURG) urg++;
}

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        signal(SIGUSR1, on_sig);
        signal(SIGUSR2, on_sig);
        signal(SIGURG, on_sig);
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        raise(SIGUSR1); /* passed on */
        raise(SIGUSR1); /* replaced by SIGUSR2 */
        raise(SIGURG);  /* dropped */
        _exit(usr1 == 1 && usr2 == 1 && urg == 0 ? 0 : 10 + usr1 * 4 + usr2 * 2 + urg);
    }
    int st, inject[3] = {SIGUSR1, SIGUSR2, 0}, expect[3] = {SIGUSR1, SIGUSR1, SIGURG};
    for (int i = 0; i < 3; i++) {
        CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == expect[i]);
        CHECK(ptrace(PTRACE_CONT, pid, NULL, (void *)(long)inject[i]) == 0);
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    printf("tracee exited %d\n", WEXITSTATUS(st));
    CHECK(WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
