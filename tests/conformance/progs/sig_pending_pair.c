/* Two signals taken on one return from sigsuspend: SIGCHLD (default:
 * ignored) and SIGWINCH (caught), both pending behind the mask the call
 * opens. The kernel dequeues SIGCHLD, then SIGWINCH with the call's exit
 * registers still in place: its handler runs and the call returns EINTR;
 * no restart comes in between. */
#include "conf.h"
#include <signal.h>

static volatile sig_atomic_t got;
static void on_winch(int s) { (void)s; got++; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    CHECK(sigaction(SIGWINCH, &sa, NULL) == 0);
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGWINCH);
    CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    CHECK(kill(getpid(), SIGWINCH) == 0);
    CHECK(kill(getpid(), SIGCHLD) == 0);
    sigemptyset(&none);
    CHECK(sigsuspend(&none) == -1 && errno == EINTR && got == 1);
    printf("handler ran %d time(s)\n", (int)got);
    PASS();
    return 0;
}
