/* trap_state: a program that blocks or ignores SIGTRAP while asynchronous
 * signals interrupt a tight loop. Replay finds each signal's point with
 * traps of its own (docs/design.md, asynchronous points); the kernel raises
 * those with force_sig, which unblocks a blocked SIGTRAP and resets a blocked
 * or ignored one to SIG_DFL. The program prints its SIGTRAP state at the end:
 * replay must print what the recording did.
 *   sample_trap_state          SIGTRAP has a handler and is blocked
 *   sample_trap_state ignore   SIGTRAP is ignored (not blocked) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define SIGNALS 5
static volatile int fired;

static void on_alarm(int sig) {
    (void)sig;
    fired++;
}

static void on_trap(int sig) { (void)sig; }

static __attribute__((noinline)) unsigned long spin(void) {
    unsigned long n = 0;
    while (fired < SIGNALS) n++;
    return n;
}

int main(int argc, char** argv) {
    const int ignore = argc > 1 && strcmp(argv[1], "ignore") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore ? SIG_IGN : on_trap;
    sigaction(SIGTRAP, &sa, NULL);
    if (!ignore) {
        sigset_t trap;
        sigemptyset(&trap);
        sigaddset(&trap, SIGTRAP);
        sigprocmask(SIG_BLOCK, &trap, NULL);
    }
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long n = spin();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    struct sigaction act;
    sigaction(SIGTRAP, NULL, &act);
    const char* handler = act.sa_handler == SIG_IGN   ? "ignored"
                          : act.sa_handler == SIG_DFL ? "default"
                                                      : "handler";
    printf("SIGTRAP %s, %s\n", sigismember(&now, SIGTRAP) ? "blocked" : "unblocked", handler);
    printf("%d signals after %lu iterations\n", SIGNALS, n);
    fflush(stdout);
    return 0;
}
