/* A child blocked in read is killed by SIGKILL from its parent. */
#include "conf.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
    for (int i = 0; i < 3; i++) {
        int p[2], ready[2];
        CHECK(pipe(p) == 0 && pipe(ready) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char c;
            close(ready[0]);
            CHECK(write(ready[1], "r", 1) == 1);
            read(p[0], &c, 1);
            _exit(3);
        }
        char c;
        CHECK(read(ready[0], &c, 1) == 1);
        usleep(20000 * (i + 1)); /* let the child block in read */
        CHECK(kill(pid, SIGKILL) == 0);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        close(p[0]); close(p[1]); close(ready[0]); close(ready[1]);
    }
    PASS();
    return 0;
}
