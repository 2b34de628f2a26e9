/* kill(0, sig) and killpg reach every process of the group, the caller included. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t usr1, usr2;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_usr2(int s) { (void)s; usr2++; }

int main(void) {
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    /* Blocked until the child waits for them (sigsuspend): with pause(), a
     * signal that came between the child's check and its pause() was lost
     * and the child waited forever (a 60 s timeout under load). */
    sigset_t both, old;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &both, &old) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        while (usr1 == 0 || usr2 == 0) sigsuspend(&old);
        _exit(7);
    }
    CHECK(kill(0, SIGUSR1) == 0);
    CHECK(killpg(getpgrp(), SIGUSR2) == 0);
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0); /* the caller's own, delivered here */
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    CHECK(usr1 == 1 && usr2 == 1);
    PASS();
    return 0;
}
