/* Device ioctls whose output size their request number does not give:
 * console (KDGKBMODE, VT_GETSTATE), serial (TIOCSERGETLSR) and tun
 * (TUNSETIFF writes the interface name back, TUNGETIFF an ifreq under an
 * int's encoding). Each output is printed; a device that cannot be opened
 * here is said so. */
#include "conf.h"
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <termios.h>

static void console(void) {
    int fd = open("/dev/tty0", O_RDWR);
    if (fd < 0) {
        printf("no console\n");
        return;
    }
    int mode = -1;
    struct vt_stat st;
    memset(&st, 0xa5, sizeof st);
    if (ioctl(fd, KDGKBMODE, &mode) == 0) printf("keyboard mode %d\n", mode);
    if (ioctl(fd, VT_GETSTATE, &st) == 0) printf("active vt %d\n", st.v_active);
    close(fd);
}

static void serial(void) {
    int fd = open("/dev/ttyS0", O_RDWR | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        printf("no serial port\n");
        return;
    }
    unsigned lsr = 0xa5a5a5a5;
    if (ioctl(fd, TIOCSERGETLSR, &lsr) == 0) printf("lsr %#x\n", lsr);
    close(fd);
}

static void tun(void) {
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0 || unshare(CLONE_NEWNET) != 0) {
        printf("no tun\n");
        return;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strcpy(ifr.ifr_name, "rpconf%d");
    CHECK(ioctl(fd, TUNSETIFF, &ifr) == 0);
    printf("tun named %s\n", ifr.ifr_name);
    struct ifreq got;
    memset(&got, 0xa5, sizeof got);
    CHECK(ioctl(fd, TUNGETIFF, &got) == 0);
    printf("tun flags %#x name %s\n", got.ifr_flags & 0xffff, got.ifr_name);
    CHECK(strcmp(got.ifr_name, ifr.ifr_name) == 0);
    close(fd);
}

int main(void) {
    console();
    serial();
    tun();
    PASS();
    return 0;
}
