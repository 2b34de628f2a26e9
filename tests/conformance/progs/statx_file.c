/* statx on a file the program wrote: size, type and the mask of fields. */
#include "conf.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(void) {
    char path[] = "/tmp/rp-conf-statx-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "twelve bytes", 12) == 12);
    struct statx sx;
    CHECK(statx(AT_FDCWD, path, AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &sx) == 0);
    CHECK(sx.stx_size == 12 && S_ISREG(sx.stx_mode));
    struct statx se;
    CHECK(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &se) == 0 && se.stx_size == 12);
    printf("size %llu mode %o ino %llu mtime %lld\n", (unsigned long long)sx.stx_size,
           sx.stx_mode & 0777, (unsigned long long)sx.stx_ino, (long long)sx.stx_mtime.tv_sec);
    CHECK(unlink(path) == 0);
    PASS();
    return 0;
}
