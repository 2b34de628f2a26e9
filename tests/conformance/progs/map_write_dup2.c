/* Writes through a dup2 copy of a file's descriptor (a shell's `1<>file`)
 * show in the file's shared mapping, after an flock and an fallocate that
 * leave the offset where it was; a hole punched and a range zeroed show
 * as zeros. */
#include "conf.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>

int main(void) {
    int fd = conf_temp_file();
    CHECK(ftruncate(fd, 4096) == 0);
    const char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    CHECK(write(fd, "abc", 3) == 3);
    CHECK(dup2(fd, 5) == 5);
    CHECK(flock(5, LOCK_EX) == 0);
    CHECK(fallocate(5, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0);
    CHECK(write(5, "hello", 5) == 5);
    CHECK(memcmp(m, "abchello", 8) == 0);
    printf("%.8s\n", m);
    CHECK(fallocate(5, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, 2) == 0);
    CHECK(memcmp(m, "a\0\0hello", 8) == 0);
    CHECK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 4, 3) == 0);
    CHECK(memcmp(m, "a\0\0h\0\0\0o", 8) == 0);
    PASS();
    return 0;
}
