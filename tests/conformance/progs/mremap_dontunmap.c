/* mremap with MREMAP_DONTUNMAP: the pages move to a fixed place, the old range stays mapped
 * and reads as zeros. */
#include "conf.h"
#include <sys/mman.h>
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

int main(void) {
    size_t len = 2 * 4096;
    char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED);
    strcpy(a, "first page");
    strcpy(a + 4096, "second page");
    /* To a reserved place: this machine's kernel refuses DONTUNMAP without FIXED. */
    char *to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(to != MAP_FAILED);
    char *b = mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
    CHECK(b == to);
    CHECK(a[0] == 0 && a[4096] == 0);
    a[0] = 'z';  /* still mapped: a fresh zero page */
    printf("moved: %s / %s, old: %c\n", b, b + 4096, a[0]);
    PASS();
    return 0;
}
