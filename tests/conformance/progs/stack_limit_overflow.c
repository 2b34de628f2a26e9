/* A child lowers its stack limit (setrlimit, RLIMIT_STACK) and recurses until
 * the stack cannot grow: SIGSEGV. The parent prints how deep it got, a count
 * kept in shared memory: replay must stop the recursion at the same depth,
 * so the replayed child must have the limit it set (setrlimit itself is
 * emulated in replay). */
#include "conf.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static volatile long *depth;

static long recurse(void) {
    volatile char frame[256];
    frame[0] = (char)++*depth;
    if (*depth > 100000000) /* never: the stack ends first */
        return frame[0];
    return recurse() + frame[0];
}

int main(void) {
    depth = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(depth != MAP_FAILED);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit r = {512 * 1024, 512 * 1024};
        if (setrlimit(RLIMIT_STACK, &r) != 0) _exit(90);
        _exit((int)recurse());
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    printf("depth %ld\n", *depth);
    CHECK(*depth > 100 && *depth < 512 * 1024 / 256);
    PASS();
    return 0;
}
