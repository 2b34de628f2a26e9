/* A child stopped and continued again and again (SIGSTOP, SIGCONT) while it
 * makes syscalls: each delivered SIGSTOP puts it in a group-stop, which the
 * kernel reports to its tracer as one more stop with SIGSTOP, and which
 * replay must not take for the next SIGSTOP's delivery. */
#include "conf.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

int main(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int fd = open("/dev/zero", O_RDONLY);
        char ch;
        for (int i = 0; i < 5000; i++) {
            CHECK(read(fd, &ch, 1) == 1);
            sched_yield();
        }
        _exit(7);
    }
    for (int i = 0; i < 100; i++) {
        kill(child, SIGSTOP);
        sched_yield();
        kill(child, SIGCONT);
        sched_yield();
    }
    int st;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    PASS();
    return 0;
}
