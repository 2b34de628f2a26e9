/* trap_state: a program that blocks or ignores SIGTRAP while asynchronous
 * signals interrupt a tight loop. Replay finds each signal's point with
 * traps of its own (docs/design.md, asynchronous points); the kernel raises
 * those with force_sig, which unblocks a blocked SIGTRAP and resets a blocked
 * or ignored one to SIG_DFL. Replay writes the recorded results of syscalls,
 * so the program looks at its state without them: the mask each SIGALRM
 * interrupted (the kernel's signal frame), and at the end a SIGTRAP raised
 * while blocked, taken by its handler when unblocked.
 *   sample_trap_state          SIGTRAP has a handler and is blocked
 *   sample_trap_state ignore   SIGTRAP is ignored (not blocked): only seen
 *                              from outside (tests/gdb/trap_state.sh) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>

#define SIGNALS 5
static volatile int fired, trap_blocked, trapped;

static void on_alarm(int sig, siginfo_t* si, void* uc) {
    (void)sig, (void)si;
    if (sigismember(&((ucontext_t*)uc)->uc_sigmask, SIGTRAP)) trap_blocked++;
    fired++;
}

static void on_trap(int sig) { (void)sig, trapped++; }

static __attribute__((noinline)) unsigned long spin(void) {
    unsigned long n = 0;
    while (fired < SIGNALS) n++;
    return n;
}

/* A SIGALRM every `usec` microseconds; 0: none. */
static void interval_timer(long usec) {
    struct itimerval it = {{0, usec}, {0, usec}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(int argc, char** argv) {
    const int ignore = argc > 1 && strcmp(argv[1], "ignore") == 0;
    sigset_t trap;
    sigemptyset(&trap);
    sigaddset(&trap, SIGTRAP);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore ? SIG_IGN : on_trap;
    sigaction(SIGTRAP, &sa, NULL);
    if (!ignore) sigprocmask(SIG_BLOCK, &trap, NULL);
    sa.sa_sigaction = on_alarm;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGALRM, &sa, NULL);
    interval_timer(1000);
    unsigned long n = spin();
    interval_timer(0);
    if (!ignore) {
        raise(SIGTRAP);  /* pending until unblocked: then its handler runs */
        sigprocmask(SIG_UNBLOCK, &trap, NULL);
    }
    printf("%d SIGALRMs interrupted SIGTRAP blocked, %d SIGTRAPs handled\n", trap_blocked,
           trapped);
    printf("%d signals after %lu iterations\n", SIGNALS, n);
    fflush(stdout);
    return 0;
}
