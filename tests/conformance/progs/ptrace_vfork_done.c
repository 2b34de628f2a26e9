/* A tracer with PTRACE_O_TRACEVFORK and TRACEVFORKDONE: its child stops at
 * its vfork (the new pid as the message), the new process is traced from
 * its start, and once that one has exited the child stops again at the
 * vfork-done event before its vfork returns. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static int event_of(int st) { return st >> 16; }

int main(void) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(90);
        pid_t v = vfork();
        if (v == 0) _exit(5);
        int st;
        if (waitpid(v, &st, 0) != v || !WIFEXITED(st) || WEXITSTATUS(st) != 5) _exit(91);
        _exit(66);
    }
    long opts = PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE;
    CHECK(ptrace(PTRACE_SEIZE, child, NULL, (void *)opts) == 0);
    CHECK(write(go[1], "g", 1) == 1);
    int st;
    unsigned long msg = 0;
    CHECK(waitpid(child, &st, 0) == child && event_of(st) == PTRACE_EVENT_VFORK);
    CHECK(ptrace(PTRACE_GETEVENTMSG, child, NULL, &msg) == 0);
    pid_t v = (pid_t)msg;
    CHECK(waitpid(v, &st, __WALL) == v && event_of(st) == PTRACE_EVENT_STOP);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    CHECK(ptrace(PTRACE_CONT, v, NULL, NULL) == 0);
    CHECK(waitpid(v, &st, __WALL) == v && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    CHECK(waitpid(child, &st, 0) == child && event_of(st) == PTRACE_EVENT_VFORK_DONE);
    CHECK(ptrace(PTRACE_GETEVENTMSG, child, NULL, &msg) == 0 && (pid_t)msg == v);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    /* The new process's end (its tracer has reaped it): SIGCHLD to its parent. */
    CHECK(waitpid(child, &st, 0) == child && WIFSTOPPED(st) && WSTOPSIG(st) == SIGCHLD);
    CHECK(ptrace(PTRACE_CONT, child, NULL, (void *)SIGCHLD) == 0);
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 66);
    printf("vfork and vfork-done events seen\n");
    PASS();
    return 0;
}
