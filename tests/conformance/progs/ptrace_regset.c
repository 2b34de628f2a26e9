/* A tracer that reads its child's registers with PTRACE_GETREGSET
 * (NT_PRSTATUS, the portable way: arm64 has no GETREGS) at every syscall
 * stop, checks the syscall number and the iovec length the kernel writes
 * back, and changes one result with PTRACE_SETREGSET. The child prints what
 * it got. */
#include "conf_ptrace.h"
#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#if defined(__x86_64__)
typedef struct user_regs_struct regs_t;
#define NR(r) ((r).orig_rax)
#define RET(r) ((r).rax)
#elif defined(__aarch64__)
#include <asm/ptrace.h>
typedef struct user_pt_regs regs_t;
#define NR(r) ((r).regs[8])
#define RET(r) ((r).regs[0])
#endif
#define CHANGED_RESULT 4242

int main(void) {
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        long first = syscall(SYS_getppid), second = syscall(SYS_getppid);
        /* Only the tracer's write to stdout shows it: the child's is traced too. */
        _exit(second == CHANGED_RESULT && first != CHANGED_RESULT ? 0 : 91);
    }
    int st;
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    int stops = 0;
    for (;;) {
        CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st)) break;
        CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80));
        stops++;
        regs_t regs;
        memset(&regs, 0, sizeof regs);
        struct iovec iov = {&regs, sizeof regs + 64}; /* longer than the set */
        CHECK(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) == 0);
        CHECK(iov.iov_len == sizeof regs);
        CHECK(NR(regs) == (stops == 5 ? SYS_exit_group : SYS_getppid));
        if (stops == 2)
            printf("getppid returned %lld in the child\n", (long long)RET(regs));
        if (stops == 4) { /* the exit of the second getppid */
            RET(regs) = CHANGED_RESULT;
            iov.iov_len = sizeof regs;
            CHECK(ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov) == 0);
        }
    }
    CHECK(stops == 5); /* 2 getppid, entry and exit each, and exit_group's entry */
    CHECK(WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
