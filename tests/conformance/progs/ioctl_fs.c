/* File and generic ioctls: FIONREAD on a pipe, FIGETBSZ, FS_IOC_GETFLAGS
 * (any result), FIOCLEX/FIONCLEX, and an ioctl the kernel does not know. */
#include "conf.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "abc", 3) == 3);
    int n = -1;
    CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 3);
    int fd = conf_temp_file();
    int bsz = 0;
    CHECK(ioctl(fd, FIGETBSZ, &bsz) == 0 && bsz > 0);
    long flags = 0x5a5a5a5a; /* left as is when the filesystem refuses */
    int r = ioctl(fd, FS_IOC_GETFLAGS, &flags);
    printf("getflags %d %lx\n", r, r == 0 ? flags : 0L);
    CHECK(ioctl(fd, FIOCLEX) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
    CHECK(ioctl(fd, FIONCLEX) == 0 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC));
    char junk[64];
    memset(junk, 0x77, sizeof junk);
    CHECK(ioctl(fd, _IOR('x', 0x7e, char[64]), junk) == -1 && errno == ENOTTY);
    unsigned ver = 0;
    r = ioctl(fd, FS_IOC_GETVERSION, &ver);
    printf("getversion %d\n", r);
    PASS();
    return 0;
}
