/* Output copied to stdout inside the kernel: sendfile from the file's
 * position and from an offset, copy_file_range (stdout a regular file: the
 * runner's; a terminal refuses it, EINVAL or EXDEV, then sendfile). The
 * bytes never pass through this program's memory: replay prints them only
 * because the recorder read them back from the file. */
#include "conf.h"
#include <fcntl.h>
#include <sys/sendfile.h>

int main(void) {
    char path[] = "/tmp/rp-conf-kcopy-XXXXXX";
    int src = mkstemp(path);
    CHECK(src >= 0 && unlink(path) == 0);
    /* 15, 23 and 19 bytes */
    const char text[] = "line one, sent\nline two, at an offset\nline three, copied\n";
    CHECK(write(src, text, sizeof text - 1) == (ssize_t)sizeof text - 1);
    CHECK(lseek(src, 0, SEEK_SET) == 0);
    CHECK(sendfile(1, src, NULL, 15) == 15);
    off_t off = 15;
    CHECK(sendfile(1, src, &off, 23) == 23 && off == 38);
    CHECK(lseek(src, 0, SEEK_CUR) == 15);  /* the offset form leaves the position */
    loff_t in = 38;
    ssize_t n = copy_file_range(src, &in, 1, NULL, 100, 0);
    if (n < 0 && (errno == EINVAL || errno == EXDEV)) {
        off = 38;
        n = sendfile(1, src, &off, 100);
        in = off;
    }
    CHECK(n == 19 && in == 57);
    printf("copied %d bytes\n", 57);
    PASS();
    return 0;
}
