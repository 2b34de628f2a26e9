/* A blocked signal read through a signalfd instead of being delivered. */
#include "conf.h"
#include <signal.h>
#include <sys/signalfd.h>

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(raise(SIGUSR2) == 0 && raise(SIGUSR1) == 0);
    struct signalfd_siginfo si[2];
    ssize_t n = read(fd, si, sizeof si);
    CHECK(n == (ssize_t)sizeof si);  /* both pending: one read takes both */
    printf("signals %u %u from self %d\n", si[0].ssi_signo, si[1].ssi_signo,
           si[0].ssi_pid == (uint32_t)getpid());
    PASS();
    return 0;
}
