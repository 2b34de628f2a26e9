/* A tracer that seizes its child and counts its syscall stops with PTRACE_SYSCALL. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(void) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]); /* EOF, not a hang, if the tracer dies first */
        if (read(go[0], &c, 1) != 1) _exit(92);
        for (int i = 0; i < 5; i++) getppid();
        _exit(0);
    }
    CHECK(ptrace(PTRACE_SEIZE, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    CHECK(ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st));
    CHECK(write(go[1], "g", 1) == 1);
    int stops = 0;
    for (;;) {
        CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st)) break;
        if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80)) stops++;
    }
    CHECK(WEXITSTATUS(st) == 0);
    CHECK(stops >= 10); /* read, 5 getppid and exit_group: entry and exit each */
    PASS();
    return 0;
}
