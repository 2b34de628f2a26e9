/* madvise(MADV_DONTNEED) on private memory: anonymous pages read as zero,
 * a private file mapping reverts to the file's bytes. */
#include "conf.h"
#include <sys/mman.h>

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED);
    memset(a, 0xab, 4 * pg);
    CHECK(madvise(a + pg, 2 * pg, MADV_DONTNEED) == 0);
    CHECK(a[0] == 0xab && a[pg] == 0 && a[3 * pg - 1] == 0 && a[3 * pg] == 0xab);
    int fd = conf_temp_file();
    char page[4096];
    memset(page, 'F', sizeof page);
    CHECK(write(fd, page, sizeof page) == (ssize_t)sizeof page);
    char *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(f != MAP_FAILED);
    f[10] = 'x';
    CHECK(madvise(f, 4096, MADV_DONTNEED) == 0);
    CHECK(f[10] == 'F');
    long sum = 0;
    for (long i = 0; i < 4 * pg; i++) sum += a[i];
    printf("sum %ld\n", sum);
    PASS();
    return 0;
}
