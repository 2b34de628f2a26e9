/* Huge sparse mappings: 64 GiB reserved with MAP_NORESERVE, a few pages
 * touched far apart, a large hole unmapped in the middle, and mprotect. */
#include "conf.h"
#include <stdint.h>
#include <sys/mman.h>

int main(void) {
    size_t size = (size_t)64 << 30;
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(p != MAP_FAILED);
    for (size_t off = 0; off < size; off += (size_t)4 << 30) p[off] = (unsigned char)(off >> 30);
    CHECK(munmap(p + ((size_t)16 << 30), (size_t)16 << 30) == 0);
    CHECK(mprotect(p + ((size_t)40 << 30), (size_t)8 << 30, PROT_READ) == 0);
    unsigned sum = 0;
    for (size_t off = 0; off < size; off += (size_t)4 << 30)
        if (off < ((size_t)16 << 30) || off >= ((size_t)32 << 30)) sum += p[off];
    CHECK(sum == 0 + 4 + 8 + 12 + 32 + 36 + 40 + 44 + 48 + 52 + 56 + 60);
    void *none = mmap(NULL, (size_t)1 << 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(none != MAP_FAILED);
    CHECK(munmap(none, (size_t)1 << 40) == 0);
    CHECK(munmap(p, size) == 0);
    PASS();
    return 0;
}
