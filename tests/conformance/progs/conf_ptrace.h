/* Shared by the conformance programs that trace a child of their own. */
#ifndef RP_CONF_PTRACE_H
#define RP_CONF_PTRACE_H
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

/* Waits for the traced child's next stop: its stop signal (with
 * PTRACE_O_TRACESYSGOOD, SIGTRAP | 0x80 at a syscall stop). */
static inline int conf_stop_signal(pid_t pid) {
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSTOPPED(st));
    return WSTOPSIG(st);
}

/* Forks a child that asks its parent to trace it and stops with SIGSTOP:
 * 0 in the child, once its tracer resumes it; in the parent, the child's
 * pid, stopped there. */
static inline pid_t conf_traced_child(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        raise(SIGSTOP);
        return 0;
    }
    CHECK(conf_stop_signal(pid) == SIGSTOP);
    return pid;
}
#endif
