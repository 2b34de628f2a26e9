/* mlock, madvise WILLNEED/FREE/DONTFORK/DOFORK, munlock, mincore. */
#include "conf.h"
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
    char *p = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    memset(p, 3, 8 * 4096);
    CHECK(mlock(p, 2 * 4096) == 0);
    CHECK(madvise(p + 2 * 4096, 2 * 4096, MADV_WILLNEED) == 0);
    CHECK(madvise(p + 4 * 4096, 2 * 4096, MADV_FREE) == 0);
    unsigned char vec[8];
    CHECK(mincore(p, 8 * 4096, vec) == 0 && (vec[0] & 1));
    CHECK(madvise(p + 6 * 4096, 2 * 4096, MADV_DONTFORK) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit(p[0] == 3 ? 0 : 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 0);
    CHECK(madvise(p + 6 * 4096, 2 * 4096, MADV_DOFORK) == 0);
    CHECK(munlock(p, 2 * 4096) == 0);
    CHECK(p[0] == 3 && p[3 * 4096] == 3 && p[7 * 4096] == 3);
    PASS();
    return 0;
}
