/* A private mapping of the first page of a three-page file, grown with
 * mremap to the whole file and to a page past its end: the new part shows
 * the file's next bytes (replay has no file: they must be in the trace),
 * and the page past the end is never touched (it would raise SIGBUS). Then
 * a read-only shared mapping of the same file, grown too. */
#include "conf.h"
#include <sys/mman.h>

int main(void) {
    int fd = conf_temp_file();
    char page[4096];
    for (int i = 0; i < 3; i++) {
        memset(page, 'A' + i, sizeof page);
        CHECK(write(fd, page, sizeof page) == (ssize_t)sizeof page);
    }
    char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED && p[0] == 'A');
    char *q = mremap(p, 4096, 4 * 4096, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED);
    printf("grown: %c %c %c\n", q[0], q[4096], q[2 * 4096 + 4095]);
    CHECK(q[4096] == 'B' && q[2 * 4096] == 'C');
    /* The same read-only and shared: replay keeps the file in a window,
     * which the grown part shows (it cannot be written through memory). */
    char *s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED);
    char *t = mremap(s, 4096, 3 * 4096, MREMAP_MAYMOVE);
    CHECK(t != MAP_FAILED);
    printf("shared, grown: %c %c %c\n", t[0], t[4096], t[2 * 4096]);
    CHECK(t[4096] == 'B' && t[2 * 4096] == 'C');
    PASS();
    return 0;
}
