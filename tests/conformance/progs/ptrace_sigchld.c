/* A tracer that learns of its tracee's stops from SIGCHLD, as the kernel
 * sends it at every ptrace stop (CLD_TRAPPED, the tracee's pid, the stop's
 * signal), not by blocking in waitpid: it waits in sigsuspend with SIGCHLD
 * blocked otherwise, for a signal stop and then a syscall stop, and once
 * more for the child's exit (CLD_EXITED). Then a second child stops while
 * the tracer blocks in waitpid with SIGCHLD open and a handler without
 * SA_RESTART: the wait returns the stop (no EINTR), and the handler has run
 * by then. A third child stops while the tracer's action has SA_NOCLDSTOP:
 * no SIGCHLD for that stop, one for its exit. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static volatile sig_atomic_t got, code, from, status;

static void on_chld(int sig, siginfo_t *si, void *ctx) {
    (void)sig, (void)ctx;
    got++;
    code = si->si_code;
    from = si->si_pid;
    status = si->si_status;
}

static void await_sigchld(int n, const sigset_t *open) {
    while (got < n) sigsuspend(open);
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    sigset_t chld, open;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &chld, &open) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        raise(SIGSTOP);
        getppid();
        _exit(7);
    }
    int st;
    await_sigchld(1, &open);
    printf("SIGCHLD %d: code %d, from the child %d, status %d\n", got, code, from == pid, status);
    CHECK(code == CLD_TRAPPED && from == pid && status == SIGSTOP);
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
    await_sigchld(2, &open);
    printf("SIGCHLD %d: code %d, from the child %d, status %d\n", got, code, from == pid, status);
    CHECK(code == CLD_TRAPPED && from == pid && status == SIGTRAP);
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP);
    CHECK(ptrace(PTRACE_DETACH, pid, NULL, NULL) == 0);
    await_sigchld(3, &open);
    printf("SIGCHLD %d: code %d, from the child %d, status %d\n", got, code, from == pid, status);
    CHECK(code == CLD_EXITED && from == pid && status == 7);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);

    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        usleep(100000); /* the tracer is usually in waitpid by then (either order holds) */
        raise(SIGSTOP);
        _exit(8);
    }
    CHECK(sigprocmask(SIG_SETMASK, &open, NULL) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(sigprocmask(SIG_BLOCK, &chld, NULL) == 0);
    printf("SIGCHLD %d: code %d, from the child %d, status %d\n", got, code, from == pid, status);
    CHECK(got == 4 && code == CLD_TRAPPED && from == pid && status == SIGSTOP);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    await_sigchld(5, &open);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 8);

    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        raise(SIGSTOP);
        _exit(9);
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0);
    printf("SIGCHLD pending after a stop under SA_NOCLDSTOP: %d\n", sigismember(&pending, SIGCHLD));
    CHECK(!sigismember(&pending, SIGCHLD));
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
    await_sigchld(6, &open);
    CHECK(code == CLD_EXITED && from == pid && status == 9);
    PASS();
    return 0;
}
