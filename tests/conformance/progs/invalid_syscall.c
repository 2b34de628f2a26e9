/* Syscall numbers the kernel does not have: -1 (some test harnesses make
 * syscall(-1) as a marker the tracer must see), another negative one, and
 * one past the table. Each fails with ENOSYS, and the calls between them
 * must replay in order. */
#include "conf.h"
#include <sys/syscall.h>

static long invalid(long nr) {
    errno = 0;
    long r = syscall(nr, 0, 0, 0);
    return r == -1 ? -errno : r;
}

int main(void) {
    long nrs[] = {-1, -2, 100000, -1};
    for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
        long r = invalid(nrs[i]);
        CHECK(r == -ENOSYS);
        /* A real call after each, whose result replay must hand back. */
        printf("syscall(%ld) = %ld, then pid %d\n", nrs[i], r, (int)getpid());
        fflush(stdout);
    }
    PASS();
    return 0;
}
