/* PTRACE_PEEKUSER, which gdb uses to read a tracee's CS (and its debug
 * registers): a word of struct user, the same registers GETREGS gives, the
 * debug registers, EIO for a misaligned offset or one far past the end. */
#include "conf_ptrace.h"
#include <stddef.h>
#include <sys/user.h>

int main(void) {
#if defined(__x86_64__)
    pid_t pid = conf_traced_child();
    if (pid == 0) _exit(3);
    struct user_regs_struct regs;
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    errno = 0;
    long rip = ptrace(PTRACE_PEEKUSER, pid, (void*)offsetof(struct user, regs.rip), NULL);
    CHECK(errno == 0 && (unsigned long)rip == regs.rip);
    long cs = ptrace(PTRACE_PEEKUSER, pid, (void*)offsetof(struct user, regs.cs), NULL);
    CHECK(errno == 0 && (unsigned long)cs == regs.cs);
    long dr7 = ptrace(PTRACE_PEEKUSER, pid, (void*)offsetof(struct user, u_debugreg[7]), NULL);
    CHECK(errno == 0);
    long fpvalid = ptrace(PTRACE_PEEKUSER, pid, (void*)offsetof(struct user, u_fpvalid), NULL);
    CHECK(errno == 0);
    CHECK(ptrace(PTRACE_PEEKUSER, pid, (void*)(offsetof(struct user, regs.rip) + 1), NULL) == -1 &&
          errno == EIO);
    errno = 0;
    CHECK(ptrace(PTRACE_PEEKUSER, pid, (void*)0x10000, NULL) == -1 && errno == EIO);
    printf("cs %#lx dr7 %#lx u_fpvalid %ld\n", cs, dr7, fpvalid);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3);
#else
    printf("PTRACE_PEEKUSER is x86_64's\n");
#endif
    PASS();
    return 0;
}
