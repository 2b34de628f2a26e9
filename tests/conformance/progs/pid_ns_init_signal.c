/* The init of a pid namespace survives signals whose default action would
 * end another process (SIGQUIT, SIGTERM, SIGUSR1 from itself; SIGTSTP does
 * not stop it either) and runs on; a signal it handles reaches its handler. */
#include "conf.h"
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static volatile int handled;
static void on_usr2(int s) { (void)s; handled++; }

int main(void) {
    CHECK(unshare(CLONE_NEWPID) == 0);
    pid_t init = fork();
    CHECK(init >= 0);
    if (init == 0) {
        if (getpid() != 1) _exit(80);
        int sigs[] = {SIGQUIT, SIGTERM, SIGUSR1, SIGTSTP};
        for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            if (kill(1, sigs[i]) != 0) _exit(81);
        signal(SIGUSR2, on_usr2);
        raise(SIGUSR2);
        _exit(handled == 1 ? 55 : 82);
    }
    int st;
    CHECK(waitpid(init, &st, 0) == init);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 55);
    printf("init survived its signals\n");
    PASS();
    return 0;
}
