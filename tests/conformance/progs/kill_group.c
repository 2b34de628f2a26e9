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
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        while (usr1 == 0 || usr2 == 0) pause();
        _exit(7);
    }
    CHECK(kill(0, SIGUSR1) == 0);
    CHECK(killpg(getpgrp(), SIGUSR2) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    CHECK(usr1 == 1 && usr2 == 1);
    PASS();
    return 0;
}
