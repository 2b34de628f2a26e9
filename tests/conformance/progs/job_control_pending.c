/* Job control without the race (issue 13, conformance job_control under
 * ptrace): two signals taken on one return from an interrupted call. The
 * child makes SIGTSTP and SIGCHLD pending behind its mask; sigsuspend opens
 * the mask, the kernel interrupts the call and dequeues the lower signal,
 * SIGCHLD (default: ignored), then SIGTSTP (a stop) before it restarts the
 * call, the call's exit registers still unchanged: a signal at the
 * syscall's return, not in user code. The parent continues it and ends the
 * restarted call with a caught SIGUSR1. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got = 1; }

static void child(void) {
    /* A group of its own whose parent is outside it: not orphaned, so the
     * kernel does not discard SIGTSTP. */
    CHECK(setpgid(0, 0) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTSTP);
    sigaddset(&block, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    /* SIGTSTP first: sending a stop signal would discard a pending SIGCONT,
     * sending SIGCONT a pending stop; SIGCHLD leaves it alone. */
    CHECK(kill(getpid(), SIGTSTP) == 0);
    CHECK(kill(getpid(), SIGCHLD) == 0);
    sigemptyset(&none);
    CHECK(sigsuspend(&none) == -1 && errno == EINTR && got);
    _exit(5);
}

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) child();
    int st;
    setpgid(pid, pid);
    CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
    CHECK(kill(pid, SIGCONT) == 0);
    CHECK(kill(pid, SIGUSR1) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    PASS();
    return 0;
}
