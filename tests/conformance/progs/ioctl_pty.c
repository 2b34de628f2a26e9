/* Terminal ioctls on a pty pair: TIOCGPTN, TCGETS/TCSETS, TIOCGWINSZ/TIOCSWINSZ,
 * FIONREAD, TIOCOUTQ, TIOCGPGRP, and data through the pair. */
#include "conf.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
    unsigned ptn = 9999;
    CHECK(ioctl(m, TIOCGPTN, &ptn) == 0 && ptn != 9999);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    CHECK(s >= 0);
    struct termios t;
    CHECK(tcgetattr(s, &t) == 0);
    cfmakeraw(&t);
    CHECK(tcsetattr(s, TCSANOW, &t) == 0);
    struct termios back;
    CHECK(tcgetattr(s, &back) == 0 && !(back.c_lflag & ICANON));
    struct winsize ws = {.ws_row = 33, .ws_col = 111};
    CHECK(ioctl(m, TIOCSWINSZ, &ws) == 0);
    struct winsize got;
    CHECK(ioctl(s, TIOCGWINSZ, &got) == 0 && got.ws_row == 33 && got.ws_col == 111);
    CHECK(write(m, "hello", 5) == 5);
    int avail = -1;
    for (int i = 0; i < 100 && avail < 5; i++) {
        CHECK(ioctl(s, FIONREAD, &avail) == 0);
        if (avail < 5) usleep(1000);
    }
    CHECK(avail == 5);
    char buf[8];
    CHECK(read(s, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0);
    int outq = -1;
    CHECK(ioctl(s, TIOCOUTQ, &outq) == 0 && outq >= 0);
    printf("pty %u\n", ptn);
    PASS();
    return 0;
}
