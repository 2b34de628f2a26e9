/* A signal interrupts a blocking read, and its handler runs long enough to
 * be preempted: a forked child spins on the same CPU meanwhile (it inherits
 * the parent's affinity), so a kernel backend records switches inside the
 * handler. Replay reaches such a switch by delivering the signal; the read
 * must then be restarted only after the handler's rt_sigreturn (SA_RESTART),
 * not before the handler runs. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

static volatile long spun;
static volatile sig_atomic_t got;

/* Busy without a syscall: the handler's first event must be a switch. */
static void spin(long n) {
    for (long i = 0; i < n; i++) spun++;
}

static void on_usr1(int s) {
    (void)s;
    spin(150000000);
    got++;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t parent = getpid(), pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(30000);
        kill(parent, SIGUSR1);
        spin(300000000);
        _exit(write(p[1], "x", 1) == 1 ? 0 : 1);
    }
    char c;
    CHECK(read(p[0], &c, 1) == 1 && c == 'x');
    CHECK(got == 1);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    PASS();
    return 0;
}
