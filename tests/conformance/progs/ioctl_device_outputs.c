/* Device ioctls whose output size their request number does not give:
 * console (KDGKBMODE, VT_GETSTATE), serial (TIOCSERGETLSR), tun
 * (TUNSETIFF writes the interface name back, TUNGETIFF an ifreq under an
 * int's encoding) and the bridge's SIOCGIFBR (BRCTL_GET_BRIDGES fills an
 * array its argument points to). Each output is printed; a device that
 * cannot be opened here is said so. */
#include "conf.h"
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_tun.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
    if (fd < 0) {
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

/* A bridge added and listed by the old ioctls. */
static void bridges(void) {
    int sk = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(sk >= 0);
    unsigned long args[3] = {BRCTL_ADD_BRIDGE, (unsigned long)"rpbr0", 0};
    if (ioctl(sk, SIOCGIFBR, args) != 0) {
        printf("no bridge\n");
        close(sk);
        return;
    }
    int list[64];
    memset(list, 0xa5, sizeof list);
    args[0] = BRCTL_GET_BRIDGES;
    args[1] = (unsigned long)list;
    args[2] = 64;
    int n = ioctl(sk, SIOCGIFBR, args);
    printf("%d bridges:", n);
    for (int i = 0; i < n; i++) printf(" %d", list[i]);
    printf("\n");
    CHECK(n >= 1);
    args[0] = BRCTL_DEL_BRIDGE;
    args[1] = (unsigned long)"rpbr0";
    CHECK(ioctl(sk, SIOCGIFBR, args) == 0);
    close(sk);
}

int main(void) {
    console();
    serial();
    if (unshare(CLONE_NEWNET) == 0) {  /* the interfaces made stay in it */
        tun();
        bridges();
    } else {
        printf("no network namespace\n");
    }
    PASS();
    return 0;
}
