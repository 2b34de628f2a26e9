/* A daemon: fork, the parent exits, the child calls setsid, forks again and
 * keeps running after its parent has gone; the last process prints the line. */
#include "conf.h"
#include <sys/wait.h>

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid > 0) return 0; /* the parent leaves at once */
    pid_t me = getpid();
    CHECK(setsid() == me);
    pid_t gpid = fork();
    CHECK(gpid >= 0);
    if (gpid > 0) _exit(0);
    while (getppid() == me) usleep(10000);
    usleep(100000);
    CHECK(getsid(0) == me);
    PASS();
    return 0;
}
