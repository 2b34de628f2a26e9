/* A tracer that makes its child's syscalls itself with PTRACE_SYSEMU, as
 * gVisor's ptrace platform and User-mode Linux do: the child stops at each
 * entry, the call is never made by the kernel, the tracer sets its result.
 * A write the tracer "makes" never reaches stdout. Resumed with
 * PTRACE_SYSCALL from such an entry, the child still stops at the (skipped)
 * call's exit; resumed with PTRACE_SYSEMU, it does not. */
#include "conf_ptrace.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static struct user_regs_struct regs_of(pid_t pid) {
    struct user_regs_struct r;
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &r) == 0);
    return r;
}

/* At an entry stop: the result the tracer gives the call. */
static void answer(pid_t pid, long nr, long result) {
    struct user_regs_struct r = regs_of(pid);
    CHECK((long)r.orig_rax == nr);
    r.rax = result;
    CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &r) == 0);
}

int main(void) {
#if defined(__x86_64__)
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        long ppid = syscall(SYS_getppid);
        long wrote = syscall(SYS_write, 1, "never written\n", 14);
        long uid = syscall(SYS_getuid);
        printf("the child: getppid %ld, write %ld, getuid %ld\n", ppid, wrote, uid);
        fflush(stdout);
        _exit(ppid == 1234 && wrote == 14 && uid == 4321 ? 0 : 91);
    }
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    const int syscall_stop = SIGTRAP | 0x80;

    CHECK(ptrace(PTRACE_SYSEMU, pid, NULL, NULL) == 0);
    CHECK(conf_stop_signal(pid) == syscall_stop); /* getppid's entry */
    answer(pid, SYS_getppid, 1234);
    CHECK(ptrace(PTRACE_SYSEMU, pid, NULL, NULL) == 0);
    CHECK(conf_stop_signal(pid) == syscall_stop); /* write's entry: no exit stop for getppid */
    answer(pid, SYS_write, 14);
    CHECK(ptrace(PTRACE_SYSEMU, pid, NULL, NULL) == 0);
    CHECK(conf_stop_signal(pid) == syscall_stop); /* getuid's entry */
    answer(pid, SYS_getuid, 4321);
    CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
    CHECK(conf_stop_signal(pid) == syscall_stop); /* its exit, the call skipped */
    CHECK((long)regs_of(pid).rax == 4321);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
#endif
    PASS();
    return 0;
}
