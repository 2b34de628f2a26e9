/* A seized child stopped by SIGSTOP: its tracer sees the signal, passes it
 * on, and then sees the group-stop (a PTRACE_EVENT_STOP with SIGSTOP);
 * resumed and interrupted while its process is still stopped, it reports
 * that stop again, SIGSTOP and not SIGTRAP. SIGKILL ends it. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static int wait_for(pid_t pid) {
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    return st;
}

int main(void) {
    int go[2], ready[2];
    char c;
    CHECK(pipe(go) == 0 && pipe(ready) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (read(go[0], &c, 1) != 1 || write(ready[1], "r", 1) != 1) _exit(90);
        for (;;) pause();
    }
    CHECK(ptrace(PTRACE_SEIZE, child, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    CHECK(write(go[1], "g", 1) == 1 && read(ready[0], &c, 1) == 1);
    CHECK(kill(child, SIGSTOP) == 0);
    const int group_stop = ((SIGSTOP | (PTRACE_EVENT_STOP << 8)) << 8) | 0x7f;
    CHECK(wait_for(child) == ((SIGSTOP << 8) | 0x7f));
    CHECK(ptrace(PTRACE_CONT, child, NULL, (void *)SIGSTOP) == 0);
    CHECK(wait_for(child) == group_stop);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    CHECK(ptrace(PTRACE_INTERRUPT, child, NULL, NULL) == 0);
    CHECK(wait_for(child) == group_stop);
    CHECK(kill(child, SIGKILL) == 0);
    int st = wait_for(child);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    printf("signal stop, group-stop, group-stop again after an interrupt\n");
    PASS();
    return 0;
}
