/* A child stopped by a signal stays stopped until SIGCONT: it neither runs
 * on to its exit (its parent, with SA_NOCLDSTOP, gets no SIGCHLD) nor
 * answers before it is continued; then it does. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t chld;
static void on_chld(int s) { (void)s; chld++; }

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        raise(SIGSTOP);
        _exit(write(p[1], "x", 1) == 1 ? 7 : 8);
    }
    int st;
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st));
    usleep(100000);
    CHECK(chld == 0 && waitpid(c, &st, WNOHANG) == 0);  /* still stopped */
    CHECK(kill(c, SIGCONT) == 0);
    char x;
    CHECK(read(p[0], &x, 1) == 1 && x == 'x');
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    PASS();
    return 0;
}
