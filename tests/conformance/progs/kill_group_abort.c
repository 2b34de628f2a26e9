/* A program that kills its own process group with SIGABRT dies of it (status
 * 134); its child dies too. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        pause();
        _exit(1);
    }
    PASS();
    usleep(20000);
    kill(0, SIGABRT);
    pause();
    return 1;
}
