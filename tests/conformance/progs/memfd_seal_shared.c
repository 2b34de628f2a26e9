/* memfd with sealing: written through a MAP_SHARED mapping, read back with
 * pread, then sealed against growing, shrinking and writing. */
#include "conf.h"
#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
    int fd = memfd_create("rp-conf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 4096) == 0);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    strcpy(m, "written through the mapping");
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EBUSY);  /* mapped writable */
    CHECK(munmap(m, 4096) == 0);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE) == 0);
    char buf[64] = {0};
    CHECK(pread(fd, buf, 27, 0) == 27);
    CHECK(ftruncate(fd, 8192) == -1 && errno == EPERM);
    CHECK(pwrite(fd, "x", 1, 0) == -1 && errno == EPERM);
    printf("seals %#x, content: %s\n", fcntl(fd, F_GET_SEALS), buf);
    PASS();
    return 0;
}
