/* vmsplice into a pipe, tee it to a second pipe, splice both out: one into
 * a file read back, one into this program's memory with read. */
#include "conf.h"
#include <fcntl.h>
#include <sys/uio.h>

int main(void) {
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    static char msg[] = "spliced bytes";
    struct iovec v = {msg, 13};
    CHECK(vmsplice(a[1], &v, 1, 0) == 13);
    CHECK(tee(a[0], b[1], 13, 0) == 13);
    char path[] = "/tmp/rp-conf-splice-XXXXXX";
    int f = mkstemp(path);
    CHECK(f >= 0 && unlink(path) == 0);
    loff_t off = 0;
    CHECK(splice(a[0], NULL, f, &off, 13, 0) == 13 && off == 13);
    char x[16] = {0}, y[16] = {0};
    CHECK(pread(f, x, 13, 0) == 13);
    CHECK(read(b[0], y, 13) == 13);
    printf("file: %s, tee: %s\n", x, y);
    PASS();
    return 0;
}
