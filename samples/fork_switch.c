/* fork_switch [SPINS]: a forked child forks again, then spins in user code
 * (SPINS iterations, default 200000000) before it waits for its own child.
 * glibc's fork in a child has run set_robust_list from fork's child path,
 * whose syscall site replay's agent patches; fork's parent path then
 * branches into those patched bytes on its way out. A kernel backend
 * switching the spinning child out makes replay search that point from
 * where its fork returned, through the patched bytes
 * (tests/threads/fork_switch.sh). Prints the spin's result. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_ok(pid_t pid) {
    int status;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv) {
    long spins = argc > 1 ? strtol(argv[1], NULL, 10) : 200000000;
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild < 0) _exit(1);
        if (grandchild == 0) _exit(0);
        volatile unsigned long x = 0;
        for (long i = 0; i < spins; i++) x = x * 31 + (unsigned long)i;
        printf("spun %ld: %lu\n", spins, (unsigned long)x);
        fflush(stdout);
        _exit(wait_ok(grandchild) ? 0 : 1);
    }
    return wait_ok(child) ? 0 : 1;
}
