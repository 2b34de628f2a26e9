/* Legacy tty and file ioctls whose numbers carry no size: TIOCGETD,
 * TIOCGSOFTCAR and TIOCGLCKTRMIOS on a pty, FIOQSIZE on a file (the bytes
 * allocated to it, a number of blocks that differs from run to run here). Each output starts as a pattern, so
 * an output replay does not write shows as another result. */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>

int main(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
    int t = open(ptsname(m), O_RDWR | O_NOCTTY);
    CHECK(t >= 0);
    int disc = 0x5a5a5a5a, soft = 0x5a5a5a5a;
    CHECK(ioctl(t, TIOCGETD, &disc) == 0);
    int r = ioctl(t, TIOCGSOFTCAR, &soft);
    struct termios lck;
    memset(&lck, 0x5a, sizeof lck);
    int r2 = ioctl(t, TIOCGLCKTRMIOS, &lck);
    printf("line discipline %d, softcar %d %d, locked termios %d %x\n", disc, r, soft, r2,
           (unsigned)lck.c_cflag);

    int fd = conf_temp_file();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char block[4096];
    memset(block, 'b', sizeof block);
    int blocks = 1 + (int)(ts.tv_nsec / 1000 % 8); /* differs from run to run */
    for (int i = 0; i < blocks; i++) CHECK(write(fd, block, sizeof block) == (ssize_t)sizeof block);
    CHECK(fsync(fd) == 0);
    int64_t bytes = 0x5a5a5a5a5a5a5a5a;
    CHECK(ioctl(fd, FIOQSIZE, &bytes) == 0 && bytes >= (int64_t)sizeof block);
    printf("%d blocks written, FIOQSIZE %lld\n", blocks, (long long)bytes);
    PASS();
    return 0;
}
