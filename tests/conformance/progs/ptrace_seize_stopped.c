/* PTRACE_SEIZE of a child that stopped itself (SIGSTOP): the tracer sees
 * the group-stop at once (a PTRACE_EVENT_STOP); resumed, the child execs
 * and, with PTRACE_O_TRACEEXEC, stops at the exec event (its pid as the
 * message, no SIGTRAP after it), then runs to its end. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 2) return 77;  /* the exec'd child */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        kill(getpid(), SIGSTOP);
        char *args[] = {argv[0], "exec'd", NULL};
        execv(argv[0], args);
        _exit(90);
    }
    int st;
    CHECK(waitpid(child, &st, WUNTRACED) == child && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(ptrace(PTRACE_SEIZE, child, NULL, (void *)PTRACE_O_TRACEEXEC) == 0);
    CHECK(waitpid(child, &st, 0) == child);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && st >> 16 == PTRACE_EVENT_STOP);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    CHECK(waitpid(child, &st, 0) == child);
    CHECK(st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)));
    unsigned long msg = 0;
    CHECK(ptrace(PTRACE_GETEVENTMSG, child, NULL, &msg) == 0 && msg == (unsigned long)child);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 77);
    printf("seized stopped, exec event seen, exit 77\n");
    PASS();
    return 0;
}
