/* What a debugger (gdb) asks of each thread it traces besides the general
 * registers: the FP state (PTRACE_GETFPREGS and PTRACE_GETREGSET NT_PRFPREG,
 * which must agree), the extended state (NT_X86_XSTATE, whose length the
 * kernel writes back), and the debug registers: gdb clears DR7 in every new
 * thread and writes DR0..DR3 only to set watchpoints. The tracer writes DR7
 * = 0 and an address into DR0 (enabling nothing) and reads both back. */
#include "conf_ptrace.h"
#include <elf.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

int main(void) {
#if defined(__x86_64__)
    pid_t pid = conf_traced_child();
    if (pid == 0) _exit(0);
    struct user_fpregs_struct fp, fp_set;
    CHECK(ptrace(PTRACE_GETFPREGS, pid, NULL, &fp) == 0);
    struct iovec iov = {&fp_set, sizeof fp_set};
    CHECK(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &iov) == 0);
    CHECK(iov.iov_len == sizeof fp_set);
    CHECK(memcmp(&fp, &fp_set, sizeof fp) == 0);
    static char xstate[1 << 14];
    iov.iov_base = xstate;
    iov.iov_len = sizeof xstate;
    CHECK(ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) == 0);
    CHECK(iov.iov_len >= 576 && iov.iov_len < sizeof xstate); /* legacy area + header, more */
    CHECK(memcmp(xstate, &fp, 160) == 0); /* FXSAVE's control words and x87 registers */
    printf("fp state: %zu bytes, mxcsr %#x\n", sizeof fp, fp.mxcsr);

    const size_t dr = offsetof(struct user, u_debugreg);
    static const long watched = 0;
    CHECK(ptrace(PTRACE_POKEUSER, pid, (void *)(dr + 7 * 8), (void *)0) == 0);
    CHECK(ptrace(PTRACE_POKEUSER, pid, (void *)dr, (void *)&watched) == 0);
    errno = 0;
    long dr0 = ptrace(PTRACE_PEEKUSER, pid, (void *)dr, NULL);
    CHECK(errno == 0 && dr0 == (long)&watched);
    long dr7 = ptrace(PTRACE_PEEKUSER, pid, (void *)(dr + 7 * 8), NULL);
    CHECK(errno == 0 && (dr7 & 0xff) == 0);
    errno = 0;
    CHECK(ptrace(PTRACE_POKEUSER, pid, (void *)(dr + 4 * 8), (void *)0) == -1 && errno == EIO);
    printf("DR0 holds the address written, DR7 enables nothing\n");
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
#endif
    PASS();
    return 0;
}
