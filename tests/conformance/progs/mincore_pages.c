/* mincore on a mapping of which only some pages were touched. */
#include "conf.h"
#include <sys/mman.h>

int main(void) {
    size_t pg = 4096, n = 8;
    char *m = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    m[0] = 1;
    m[3 * pg] = 1;
    unsigned char vec[8];
    CHECK(mincore(m, n * pg, vec) == 0);
    for (size_t i = 0; i < n; i++) printf("%d", vec[i] & 1);
    printf("\n");
    CHECK((vec[0] & 1) && (vec[3] & 1) && !(vec[1] & 1));
    PASS();
    return 0;
}
