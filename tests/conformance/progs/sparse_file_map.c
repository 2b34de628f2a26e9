/* Mappings of huge sparse files: a 100 GiB file with a byte at its end,
 * mapped shared, written in the middle, unmapped, a hole punched under one
 * write and the file mapped again; then a 1 TiB memfd with one byte, mapped
 * private and shared. The recorder keeps only the files' data (their holes
 * read as zeros in replay's memory); before, it tried to hold the whole
 * mapping and died (std::bad_alloc). */
#define _FILE_OFFSET_BITS 64
#include "conf.h"
#include <fcntl.h>
#include <sys/mman.h>

static void hundred_gib_file(void) {
    off_t size = (off_t)100 << 30;
    int fd = conf_temp_file();
    if (pwrite(fd, "x", 1, size) != 1) {
        printf("no 100 GiB sparse file here (errno %d)\n", errno);
        return;
    }
    char *p = mmap(NULL, size + 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    p[size / 2] = 1;
    p[size / 2 + 65536] = 2;
    CHECK(munmap(p, size + 1) == 0);
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size / 2, 4096) == 0);
    p = mmap(NULL, size + 1, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    printf("100 GiB file: %d %d %c\n", p[size / 2], p[size / 2 + 65536], p[size]);
    CHECK(p[size / 2] == 0 && p[size / 2 + 65536] == 2 && p[size] == 'x');
    CHECK(munmap(p, size + 1) == 0);
    close(fd);
}

static void terabyte_memfd(void) {
    size_t len = (size_t)1 << 40;
    int fd = memfd_create("sparse", 0);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)len) == 0 && write(fd, "y", 1) == 1);
    for (int shared = 0; shared < 2; shared++) {
        char *p = mmap(NULL, len, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
        CHECK(p != MAP_FAILED);
        printf("1 TiB memfd (%s): %c %d\n", shared ? "shared" : "private", p[0], p[len - 1]);
        CHECK(munmap(p, len) == 0);
    }
    close(fd);
}

int main(void) {
    hundred_gib_file();
    terabyte_memfd();
    PASS();
    return 0;
}
