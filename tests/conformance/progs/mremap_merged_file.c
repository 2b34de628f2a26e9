/* mremap over a range the kernel merged from two mappings of one file: the
 * program's own executable, opened read only, mapped with a page past its
 * end, then its first page mapped again over the start (MAP_FIXED, same
 * file and offset: the kernel makes the two one mapping again). Growing
 * that range with MREMAP_MAYMOVE moves it; growing where it is and moving
 * only its middle follow. Replay holds the file's pages as anonymous copies
 * that do not merge: the kernel refused its mremap with EFAULT before. */
#include "conf.h"
#include <fcntl.h>
#include <sys/mman.h>

static unsigned long sum(const unsigned char *p, size_t n) {
    unsigned long h = 5381;
    for (size_t i = 0; i < n; i++) h = h * 33 + p[i];
    return h;
}

int main(void) {
    const size_t page = 4096;
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    off_t end = lseek(fd, 0, SEEK_END);
    CHECK(end > 0);
    size_t len = ((size_t)end + page - 1) / page * page + page;  /* a page past the end */
    unsigned char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    unsigned long before = sum(p, (size_t)end);
    CHECK(mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == p);
    unsigned char *q = mremap(p, len, len + page, MREMAP_MAYMOVE);
    if (q == MAP_FAILED && errno == EFAULT) {
        printf("this kernel does not merge the two mappings\n");
        PASS();
        return 0;
    }
    CHECK(q != MAP_FAILED);
    printf("moved: %d, bytes kept: %d\n", q != p, sum(q, (size_t)end) == before);
    CHECK(sum(q, (size_t)end) == before);

    /* A second file mapping merged the same way, grown where it stands
     * (a hole after it, kept free by unmapping what was there). */
    unsigned char *r = mmap(NULL, len + 4 * page, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(r != MAP_FAILED);
    CHECK(munmap(r + len, 4 * page) == 0);
    CHECK(mmap(r, page, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == r);
    unsigned char *g = mremap(r, len, len + 2 * page, 0);
    CHECK(g == r);
    printf("grown in place: %d, bytes kept: %d\n", g == r, sum(g, (size_t)end) == before);
    CHECK(sum(g, (size_t)end) == before);
    PASS();
    return 0;
}
