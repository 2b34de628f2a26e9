/* io_uring_setup: rp refuses io_uring (ENOSYS) while recording; programs
 * such as liburing users then fall back to plain read/write. */
#include "conf.h"
#include <linux/io_uring.h>
#include <sys/syscall.h>

int main(void) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(SYS_io_uring_setup, 4, &p);
    if (fd < 0) {
        printf("io_uring unavailable: %s\n", errno == ENOSYS ? "ENOSYS" : "other");
        char buf[8];
        int pp[2];
        CHECK(pipe(pp) == 0 && write(pp[1], "plain", 5) == 5 && read(pp[0], buf, 8) == 5);
    } else {
        printf("io_uring sq entries %u\n", p.sq_entries);
        close(fd);
    }
    PASS();
    return 0;
}
