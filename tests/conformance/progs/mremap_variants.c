/* mremap: grow in place or moved, shrink, MREMAP_FIXED to a chosen address,
 * sizes that are not page multiples; contents follow the mapping. */
#include "conf.h"
#include <sys/mman.h>

int main(void) {
    char *a = mmap(NULL, 3000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED);
    memset(a, 'a', 3000);
    char *b = mremap(a, 3000, 10000, MREMAP_MAYMOVE);
    CHECK(b != MAP_FAILED && b[2999] == 'a' && b[9999] == 0);
    b[9999] = 'z';
    char *c = mremap(b, 10000, 5000, 0);
    CHECK(c == b && c[4999] == 0 && c[0] == 'a');
    char *target = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(target != MAP_FAILED);
    char *d = mremap(c, 5000, 5000, MREMAP_MAYMOVE | MREMAP_FIXED, target + 2 * 4096);
    CHECK(d == target + 2 * 4096 && d[0] == 'a' && d[4999] == 0);
    char *e = mremap(d, 5000, 64 * 4096, MREMAP_MAYMOVE);
    CHECK(e != MAP_FAILED && e[100] == 'a');
    e[64 * 4096 - 1] = 'q';
    CHECK(munmap(e, 64 * 4096) == 0);
    PASS();
    return 0;
}
