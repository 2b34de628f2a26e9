/* Writes that stop at a page that faults: write and writev of a buffer
 * whose second half is not readable write the first half and return its
 * length, one whose first byte faults fails with EFAULT. Each between
 * ordinary writes through the same calls, so that replay's agent (which
 * answers writes by copying what they sent) has those sites patched: it
 * must leave these calls to the kernel path, not fault in the program. */
#include "conf.h"
#include <sys/mman.h>
#include <sys/uio.h>

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(buf != MAP_FAILED);
    memset(buf, 'a', page);
    CHECK(mprotect(buf + page, page, PROT_NONE) == 0);
    int fd = conf_temp_file();
    for (int round = 0; round < 10; round++) {
        char line[32];
        int n = snprintf(line, sizeof line, "round %d\n", round);
        CHECK(write(fd, line, n) == n);
        struct iovec ok[2] = {{line, 3}, {line + 3, n - 3}};
        CHECK(writev(fd, ok, 2) == n);
        ssize_t w = write(fd, buf + page - 100, 200);  /* the second 100 bytes fault */
        struct iovec half[2] = {{line, 3}, {buf + page, 10}};
        ssize_t v = writev(fd, half, 2);
        errno = 0;
        ssize_t f = write(fd, buf + page, 10);
        int f_errno = errno;
        printf("round %d: write %zd, writev %zd, write at the fault %zd (errno %d)\n", round, w, v, f,
               f_errno);
        CHECK(w == 100 && v == 3 && f == -1 && f_errno == EFAULT);
    }
    PASS();
    return 0;
}
