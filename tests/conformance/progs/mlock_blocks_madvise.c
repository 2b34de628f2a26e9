/* madvise(MADV_DONTNEED) over a range with a locked page fails with EINVAL,
 * yet drops the pages before the locked one: replay must lock what the
 * recording locked for both halves to come out the same. Then the lock is
 * lifted (munlock, and again with mlockall/munlockall) and the same call
 * succeeds. */
#include "conf.h"
#include <sys/mman.h>

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    p[0] = 'a';
    p[page] = 'b';
    CHECK(mlock(p + page, page) == 0);
    int r = madvise(p, page * 2, MADV_DONTNEED);
    printf("madvise over a locked page: %d errno %d, first %d second %c\n", r,
           r ? errno : 0, p[0], p[page]);
    CHECK(r == -1 && errno == EINVAL && p[0] == 0 && p[page] == 'b');
    CHECK(munlock(p + page, page) == 0);
    CHECK(madvise(p, page * 2, MADV_DONTNEED) == 0 && p[page] == 0);
    p[page] = 'c';
    CHECK(mlockall(MCL_CURRENT) == 0);
    r = madvise(p + page, page, MADV_DONTNEED);
    printf("after mlockall: %d, second %c\n", r, p[page]);
    CHECK(r == -1 && p[page] == 'c');
    CHECK(munlockall() == 0);
    CHECK(madvise(p + page, page, MADV_DONTNEED) == 0 && p[page] == 0);
    PASS();
    return 0;
}
