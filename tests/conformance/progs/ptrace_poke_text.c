/* A tracer that rewrites its child's code, as a debugger inserting and
 * removing a breakpoint does: with the child stopped, it reads the words
 * that straddles a syscall instruction the child has run several times
 * (PEEKTEXT) and writes it back (POKETEXT).
 * The child then runs that syscall again and must get the same results. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char conf_syscall_site[];

/* getppid through one syscall instruction at a known address. */
static __attribute__((noinline)) long site_getppid(void) {
    long r;
#if defined(__x86_64__)
    __asm__ volatile(".globl conf_syscall_site\nconf_syscall_site: syscall"
                     : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = SYS_getppid;
    register long x0 __asm__("x0");
    __asm__ volatile(".globl conf_syscall_site\nconf_syscall_site: svc #0"
                     : "=r"(x0) : "r"(x8) : "memory");
    r = x0;
#else
#error "no syscall instruction for this architecture"
#endif
    return r;
}

int main(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        for (int i = 0; i < 5; i++)
            if (site_getppid() != parent) _exit(91);
        raise(SIGSTOP);
        for (int i = 0; i < 5; i++)
            if (site_getppid() != parent) _exit(92);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    /* The word from 4 bytes before the instruction. */
    void *a = conf_syscall_site - 4;
    errno = 0;
    long w = ptrace(PTRACE_PEEKTEXT, pid, a, NULL);
    CHECK(errno == 0 && w == *(long *)a);
    CHECK(ptrace(PTRACE_POKETEXT, pid, a, (void *)w) == 0);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
