/* A tracer that single-steps its child, as debuggers and tracing tools do:
 * PTRACE_SINGLESTEP a fixed number of instructions (each a SIGTRAP stop),
 * then PTRACE_SYSEMU_SINGLESTEP until the child's next syscall, whose
 * result it makes up. It prints how many steps that took. */
#include "conf_ptrace.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static volatile long sink;

int main(void) {
#if defined(__x86_64__)
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        for (int i = 0; i < 40; i++) sink += i * 3;
        long uid = syscall(SYS_getuid);
        _exit(sink == 2340 && uid == 4321 ? 0 : 91);
    }
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    struct user_regs_struct regs;
    unsigned long long last_ip = 0;
    int moved = 0;
    for (int i = 0; i < 30; i++) {
        CHECK(ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) == 0);
        CHECK(conf_stop_signal(pid) == SIGTRAP);
        CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
        moved += regs.rip != last_ip;
        last_ip = regs.rip;
    }
    CHECK(moved == 30);
    int steps = 0;
    for (;;) {
        CHECK(ptrace(PTRACE_SYSEMU_SINGLESTEP, pid, NULL, NULL) == 0);
        int sig = conf_stop_signal(pid);
        if (sig == (SIGTRAP | 0x80)) break; /* getuid's entry: not made */
        CHECK(sig == SIGTRAP);
        steps++;
    }
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    CHECK(regs.orig_rax == SYS_getuid);
    regs.rax = 4321;
    CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);
    printf("%d more steps to the child's getuid\n", steps);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
#endif
    PASS();
    return 0;
}
