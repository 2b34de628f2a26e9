/* fallocate (allocate, punch a hole), then SEEK_DATA/SEEK_HOLE and reads
 * that see zeros where the hole is. */
#include "conf.h"
#include <fcntl.h>

int main(void) {
    char path[] = "/tmp/rp-conf-falloc-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && unlink(path) == 0);
    CHECK(fallocate(fd, 0, 0, 65536) == 0);
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 16; i++) CHECK(write(fd, buf, sizeof buf) == 4096);
    int r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384, 16384);
    CHECK(r == 0 || errno == EOPNOTSUPP);
    off_t hole = lseek(fd, 0, SEEK_HOLE), data = lseek(fd, hole, SEEK_DATA);
    char c;
    CHECK(pread(fd, &c, 1, 20000) == 1);
    printf("punched %d, hole at %lld, data again at %lld, byte %d\n", r == 0, (long long)hole,
           (long long)data, c);
    PASS();
    return 0;
}
