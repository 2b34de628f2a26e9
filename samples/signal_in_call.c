/* signal_in_call [ROUNDS]: ROUNDS times (default 20), 50 reads of one byte
 * from a pipe that holds it, then a read of the empty pipe that SIGALRM (a
 * 10 ms timer; the handler has no SA_RESTART) interrupts: all the same read
 * call of libc. The handler keeps the address the signal interrupted (its
 * ucontext's instruction pointer; on x86_64 also rcx, which the syscall
 * instruction sets to that address), and the program prints them: a replay
 * must show the program's own registers there, also where replay's agent
 * patched that read (tests/integration/agent.sh). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile unsigned long interrupted_at, rcx_there;

static void on_alarm(int sig, siginfo_t *si, void *uc_) {
    (void)sig, (void)si;
    ucontext_t *uc = uc_;
#if defined(__x86_64__)
    interrupted_at = (unsigned long)uc->uc_mcontext.gregs[REG_RIP];
    rcx_there = (unsigned long)uc->uc_mcontext.gregs[REG_RCX];
#elif defined(__aarch64__)
    interrupted_at = (unsigned long)uc->uc_mcontext.pc;
#else
    (void)uc;
#endif
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    int p[2];
    if (pipe(p) != 0) return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_alarm;
    sa.sa_flags = SA_SIGINFO;  /* no SA_RESTART: the read fails with EINTR */
    sigaction(SIGALRM, &sa, NULL);
    unsigned long first = 0;
    int same = 1;
    for (int r = 0; r < rounds; r++) {
        char c;
        for (int i = 0; i < 50; i++)
            if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1) return 2;
        struct itimerval t = {{0, 0}, {0, 10000}};
        setitimer(ITIMER_REAL, &t, NULL);
        interrupted_at = 0;
        if (read(p[0], &c, 1) != -1 || errno != EINTR) return 3;
        printf("round %d: interrupted at %#lx, rcx %#lx\n", r, interrupted_at, rcx_there);
        if (!first) first = interrupted_at;
        same = same && interrupted_at == first;
    }
    printf("one address: %s\n", same ? "yes" : "no");
    return same ? 0 : 4;
}
