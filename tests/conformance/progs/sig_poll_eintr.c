/* poll and pselect on a pipe nobody writes are interrupted by a signal: EINTR
 * even with SA_RESTART (the kernel never restarts them after a handler). */
#include "conf.h"
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/time.h>

static volatile sig_atomic_t hits;
static void on_alarm(int sig) { (void)sig; hits++; }

static void arm(void) {
    struct itimerval it = {.it_value = {0, 30000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    arm();
    CHECK(poll(&pfd, 1, 5000) == -1 && errno == EINTR);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timespec ts = {5, 0};
    arm();
    CHECK(pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL) == -1 && errno == EINTR);
    struct timeval tv = {5, 0};
    FD_SET(p[0], &rd);
    arm();
    CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == -1 && errno == EINTR);
    CHECK(hits == 3);
    printf("select left %ld s\n", (long)tv.tv_sec);
    PASS();
    return 0;
}
