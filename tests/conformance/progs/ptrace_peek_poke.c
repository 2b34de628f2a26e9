/* A tracer that steps its child through a few syscalls with PTRACE_SYSCALL
 * and, at every stop, reads a counter in the child's memory (PEEKDATA) and
 * writes it back incremented (POKEDATA); on x86_64 it also checks the
 * syscall number (GETREGS) and changes a result (SETREGS). The child checks
 * what it saw after each call. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static volatile long counter = 0;
static volatile long seen[3];
#define CHANGED_RESULT 12345

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        long last = 0;
        /* The parent is then usually blocked in waitpid already, which must
         * still see the stop (either order is correct). */
        usleep(100000);
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        raise(SIGSTOP);
        for (int i = 0; i < 3; i++) {
            last = syscall(SYS_getppid);
            seen[i] = counter;
        }
        /* Two stops (entry and exit) per call, one poke per stop. */
        if (seen[0] != 2 || seen[1] != 4 || seen[2] != 6) _exit(91);
#if defined(__x86_64__)
        if (last != CHANGED_RESULT) _exit(92);
#else
        (void)last;
#endif
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    int stops = 0;
    for (;;) {
        CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st)) break;
        CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80));
        stops++;
        errno = 0;
        long v = ptrace(PTRACE_PEEKDATA, pid, &counter, NULL);
        CHECK(errno == 0 && v == stops - 1);
        CHECK(ptrace(PTRACE_POKEDATA, pid, &counter, (void *)(v + 1)) == 0);
#if defined(__x86_64__)
        struct user_regs_struct regs;
        CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
        CHECK(regs.orig_rax == (stops == 7 ? SYS_exit_group : SYS_getppid));
        if (stops == 6) { /* the exit of the third getppid */
            regs.rax = CHANGED_RESULT;
            CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);
        }
#endif
    }
    CHECK(stops == 7); /* 3 getppid, entry and exit each, and exit_group's entry */
    CHECK(WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
