/* A handler without SA_RESTART interrupts nanosleep: EINTR and a remaining time. */
#include "conf.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t hits;
static void on_alarm(int sig) { (void)sig; hits++; }

int main(void) {
    struct sigaction sa = {.sa_handler = on_alarm};
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = {.it_value = {0, 20000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    struct timespec req = {5, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    CHECK(r == -1 && errno == EINTR && hits == 1);
    CHECK(rem.tv_sec > 0 && rem.tv_sec <= 5);
    printf("remaining %ld.%09ld\n", (long)rem.tv_sec, rem.tv_nsec);
    PASS();
    return 0;
}
