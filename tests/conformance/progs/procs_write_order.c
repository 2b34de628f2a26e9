/* Four processes write lines to one stdout at once: the file holds them in
 * the order the kernel wrote them, and a replay must print that order, not
 * the order a tracer happened to see their calls return. They write through
 * fd 9, which was /dev/null for their first write and is stdout after a
 * dup2: what a descriptor is must not be taken from before the dup2. */
#include "conf.h"
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    enum { kProcs = 4, kLines = 300 };
    fflush(stdout);
    for (int p = 0; p < kProcs; p++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            CHECK(dup2(open("/dev/null", O_WRONLY), 9) == 9);
            CHECK(write(9, "lost\n", 5) == 5);
            CHECK(dup2(1, 9) == 9);
            for (int i = 0; i < kLines; i++) {
                char line[64];
                int n = snprintf(line, sizeof line, "process %d line %d\n", p, i);
                CHECK(write(9, line, (size_t)n) == n);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < kProcs; p++) {
        int st;
        CHECK(wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    PASS();
    return 0;
}
