/* vfork children that _exit at once, many times over: the parent, released
 * by its child on the child's way out, often returns from vfork and enters
 * its wait before the child's end is recorded, which replay must allow. */
#include "conf.h"
#include <sys/wait.h>

#define N 400

int main(void) {
    static int status[N];
    static pid_t child[N], reaped[N];
    for (int i = 0; i < N; i++) {
        child[i] = vfork();
        if (child[i] == 0) _exit(i & 0x7f);
        reaped[i] = waitpid(child[i], &status[i], 0);
    }
    for (int i = 0; i < N; i++)
        CHECK(child[i] > 0 && reaped[i] == child[i] && WIFEXITED(status[i]) &&
              WEXITSTATUS(status[i]) == (i & 0x7f));
    PASS();
    return 0;
}
