/* A tracer that changes its child's syscalls at their entry stops, as
 * sandboxes and syscall emulators do: one call becomes another (geteuid
 * becomes gettid), the next is skipped (number -1) and given a result at
 * its exit stop. It asks PTRACE_GET_SYSCALL_INFO at the stops, as strace
 * does. The tracer prints what the changed call returned; the child's
 * status says what its calls returned. */
#include "conf_ptrace.h"
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#define EMULATED_RESULT 555

#if defined(__x86_64__)
#define NR(r) ((r).orig_rax)
#define RET(r) ((r).rax)
#endif

static void to_next_stop(pid_t pid) {
    CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
    CHECK(conf_stop_signal(pid) == (SIGTRAP | 0x80));
}

int main(void) {
#if defined(__x86_64__)
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        long changed = syscall(SYS_geteuid);
        long skipped = syscall(SYS_getuid);
        _exit(changed == getpid() && skipped == EMULATED_RESULT ? 0 : 91);
    }
    int st;
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);

    struct user_regs_struct regs;
    to_next_stop(pid); /* geteuid's entry */
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    CHECK(NR(regs) == SYS_geteuid);
    struct __ptrace_syscall_info info;
    memset(&info, 0xa5, sizeof info);
    long got = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
    CHECK(got == offsetof(struct __ptrace_syscall_info, entry) + sizeof info.entry);
    CHECK(info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_geteuid);
    CHECK(info.instruction_pointer == regs.rip && info.stack_pointer == regs.rsp);
    CHECK(info.entry.args[0] == regs.rdi);
    unsigned char op = 0xa5;  /* a short buffer: only the bytes it holds */
    CHECK(ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)1, &op) == got);
    CHECK(op == PTRACE_SYSCALL_INFO_ENTRY);
    NR(regs) = SYS_gettid;
    CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);
    to_next_stop(pid); /* its exit: gettid's result */
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    printf("the changed call returned the child's pid: %s\n",
           (pid_t)RET(regs) == pid ? "yes" : "no");
    memset(&info, 0xa5, sizeof info);
    got = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
    CHECK(got == offsetof(struct __ptrace_syscall_info, exit) + sizeof info.exit.rval + 1);
    CHECK(info.op == PTRACE_SYSCALL_INFO_EXIT && info.exit.rval == pid && !info.exit.is_error);

    to_next_stop(pid); /* getuid's entry */
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    CHECK(NR(regs) == SYS_getuid);
    NR(regs) = -1;
    CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);
    to_next_stop(pid); /* its exit: skipped, -ENOSYS */
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    CHECK((long)RET(regs) == -ENOSYS);
    RET(regs) = EMULATED_RESULT;
    CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);

    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
#endif
    PASS();
    return 0;
}
