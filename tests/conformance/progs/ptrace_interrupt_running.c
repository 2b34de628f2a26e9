/* A tracer that seizes a child it just made, interrupts it at once, and
 * only then lets it read: the wait for the interrupt returns once the child
 * has stopped, so its read has not completed and its syscall stops show it.
 * Many rounds, for the child is caught anywhere from before its first
 * instruction to inside that read. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The syscall at a syscall-entry stop of pid, or -1 at any other stop. */
static long entry_nr(pid_t pid) {
    struct __ptrace_syscall_info info;
    if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) <= 0) return -1;
    return info.op == PTRACE_SYSCALL_INFO_ENTRY ? (long)info.entry.nr : -1;
}

static void one_round(void) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1) _exit(92);
        getppid();
        _exit(0);
    }
    CHECK(ptrace(PTRACE_SEIZE, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    CHECK(ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st));
    CHECK(write(go[1], "g", 1) == 1);
    int reads = 0, getppids = 0;
    for (;;) {
        CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st)) break;
        if (!WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80)) continue;
        long nr = entry_nr(pid);
        reads += nr == SYS_read;
        getppids += nr == SYS_getppid;
    }
    CHECK(WEXITSTATUS(st) == 0);
    CHECK(getppids == 1);
    CHECK(reads == 1); /* the read that took the byte: after the interrupt's stop */
    close(go[0]);
    close(go[1]);
}

int main(void) {
    for (int round = 0; round < 40; round++) one_round();
    PASS();
    return 0;
}
