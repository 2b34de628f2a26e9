/* A nanosleep stopped by SIGSTOP and continued by SIGCONT resumes through
 * restart_syscall and sleeps out its full time. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

int main(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(50000);
        kill(parent, SIGSTOP);
        usleep(50000);
        kill(parent, SIGCONT);
        _exit(0);
    }
    struct timespec t0, t1, req = {0, 300000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(nanosleep(&req, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 290);
    printf("slept %ld ms\n", ms);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    PASS();
    return 0;
}
