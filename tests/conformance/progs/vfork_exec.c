/* vfork, then exec in the child while the parent is suspended; the child
 * (this program again) prints a line and exits with a status. */
#include "conf.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("child after exec: %s\n", argv[1]);
        fflush(stdout);
        return 9;
    }
    pid_t pid = vfork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "hello", (char *)NULL);
        _exit(127);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
    PASS();
    return 0;
}
