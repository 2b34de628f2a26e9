/* copy_file_range and sendfile between files, with and without offsets.
 * Where copy_file_range is refused (ENOSYS: rp did so before it could read
 * back a copy to the terminal, common/kernel_copy.h) the program copies with
 * pread/pwrite, as coreutils does. */
#include "conf.h"
#include <fcntl.h>
#include <sys/sendfile.h>

static int temp(void) {
    char path[] = "/tmp/rp-conf-copy-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    return fd;
}

int main(void) {
    int src = temp(), dst = temp(), third = temp();
    CHECK(src >= 0 && dst >= 0 && third >= 0);
    CHECK(write(src, "0123456789abcdef", 16) == 16);
    loff_t in = 4, out = 0;
    ssize_t copied = copy_file_range(src, &in, dst, &out, 8, 0);
    if (copied < 0 && errno == ENOSYS) {
        char tmp[8];
        CHECK(pread(src, tmp, 8, in) == 8 && pwrite(dst, tmp, 8, out) == 8);
        in += 8, out += 8, copied = 8;
        printf("copy_file_range refused, ");
    }
    CHECK(copied == 8 && in == 12 && out == 8);
    CHECK(lseek(src, 0, SEEK_SET) == 0);
    CHECK(sendfile(third, src, NULL, 6) == 6);
    off_t o = 10;
    CHECK(sendfile(third, src, &o, 6) == 6 && o == 16);
    char a[16] = {0}, b[16] = {0};
    CHECK(pread(dst, a, 15, 0) == 8 && pread(third, b, 15, 0) == 12);
    CHECK(lseek(src, 0, SEEK_CUR) == 6);
    printf("copied %s, sent %s\n", a, b);
    PASS();
    return 0;
}
