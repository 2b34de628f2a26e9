/* A handler interrupts a blocking read (no SA_RESTART: it returns EINTR) and
 * raises a signal the program ignores by default, held back by the handler's
 * sa_mask until rt_sigreturn. That signal is then delivered at rt_sigreturn's
 * return, whose registers show the read's EINTR: it did not interrupt the
 * read, and the program must see the EINTR, not a restarted call. */
#include "conf.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t handled;

static void on_alarm(int s) {
    (void)s;
    handled++;
    raise(SIGWINCH);  /* pending until the handler returns */
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGWINCH);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    for (int i = 1; i <= 3; i++) {
        struct itimerval it = {{0, 0}, {0, 20000}};
        CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
        char c;
        errno = 0;
        ssize_t n = read(p[0], &c, 1);
        CHECK(n == -1 && errno == EINTR && handled == i);
    }
    PASS();
    return 0;
}
