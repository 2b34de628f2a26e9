/* PTRACE_KILL ends a tracee with SIGKILL, whether it is stopped for its
 * tracer or running: a child stopped after PTRACE_TRACEME, and one seized
 * and left running. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(void) {
    int st;
    pid_t stopped = fork();
    CHECK(stopped >= 0);
    if (stopped == 0) {
        CHECK(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0);
        raise(SIGSTOP);
        _exit(3);
    }
    CHECK(waitpid(stopped, &st, 0) == stopped && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(ptrace(PTRACE_KILL, stopped, 0, 0) == 0);
    CHECK(waitpid(stopped, &st, 0) == stopped);
    printf("stopped tracee: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t running = fork();
    CHECK(running >= 0);
    if (running == 0) {
        CHECK(write(ready[1], "r", 1) == 1);
        for (;;) pause();
    }
    char ch;
    CHECK(read(ready[0], &ch, 1) == 1);
    CHECK(ptrace(PTRACE_SEIZE, running, 0, 0) == 0);
    CHECK(ptrace(PTRACE_KILL, running, 0, 0) == 0);
    CHECK(waitpid(running, &st, 0) == running);
    printf("running tracee: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    PASS();
    return 0;
}
