/* sigsuspend admits a blocked signal that a child sends, runs the handler
 * and restores the mask. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
    sigset_t block, old, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    signal(SIGUSR1, on_usr1);
    CHECK(sigprocmask(SIG_BLOCK, &block, &old) == 0);
    pid_t parent = getpid(), pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(30000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sigemptyset(&during);
    while (!got) CHECK(sigsuspend(&during) == -1 && errno == EINTR);
    sigset_t now;
    CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0 && sigismember(&now, SIGUSR1));
    CHECK(waitpid(pid, NULL, 0) == pid);
    PASS();
    return 0;
}
