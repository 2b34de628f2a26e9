/* FS_IOC_FIEMAP: the kernel writes the header and then the extents after
 * it, more than the request's _IOC size says. Two extents with a hole
 * between; their physical offsets differ from run to run. The extents start
 * as a pattern, so an output replay does not write shows as another
 * result. A filesystem without FIEMAP is reported, not failed. */
#include "conf.h"
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

int main(void) {
    int fd = conf_temp_file();
    char b[4096];
    memset(b, 'q', sizeof b);
    CHECK(pwrite(fd, b, sizeof b, 0) == (ssize_t)sizeof b);
    CHECK(pwrite(fd, b, sizeof b, 1 << 20) == (ssize_t)sizeof b);
    CHECK(fsync(fd) == 0);
    const unsigned cap = 8;
    struct fiemap* fm = malloc(sizeof *fm + cap * sizeof(struct fiemap_extent));
    CHECK(fm != NULL);
    memset(fm, 0x5a, sizeof *fm + cap * sizeof(struct fiemap_extent));
    fm->fm_start = 0;
    fm->fm_length = ~0ULL;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = cap;
    fm->fm_reserved = 0;
    if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
        printf("FIEMAP not supported here (errno %d)\n", errno);
        PASS();
        return 0;
    }
    CHECK(fm->fm_mapped_extents >= 1 && fm->fm_mapped_extents <= cap);
    for (unsigned i = 0; i < fm->fm_mapped_extents; i++)
        printf("extent %u: logical %llu length %llu physical %llu flags %x\n", i,
               (unsigned long long)fm->fm_extents[i].fe_logical,
               (unsigned long long)fm->fm_extents[i].fe_length,
               (unsigned long long)fm->fm_extents[i].fe_physical, fm->fm_extents[i].fe_flags);
    CHECK(fm->fm_extents[fm->fm_mapped_extents - 1].fe_flags & FIEMAP_EXTENT_LAST);
    PASS();
    return 0;
}
