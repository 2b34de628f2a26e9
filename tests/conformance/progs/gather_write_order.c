/* Gathering writes (writev, pwritev, sendmsg) whose iovecs differ and are too
 * large to travel together: the bytes sent are the iovecs in their order. */
#include "conf.h"
#include <sys/socket.h>
#include <sys/uio.h>

#define LEN 4095

static char a[LEN], b[LEN], back[2 * LEN];

/* Reads n bytes of fd into back, and checks they are a's then b's. */
static void read_back(int fd) {
    size_t got = 0;
    while (got < sizeof back) {
        ssize_t n = read(fd, back + got, sizeof back - got);
        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK(memcmp(back, a, LEN) == 0 && memcmp(back + LEN, b, LEN) == 0);
}

int main(void) {
    memset(a, 'A', LEN);
    memset(b, 'B', LEN);
    struct iovec iov[2] = {{a, LEN}, {b, LEN}};

    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(writev(p[1], iov, 2) == 2 * LEN);
    read_back(p[0]);

    int f = conf_temp_file();
    CHECK(pwritev(f, iov, 2, 0) == 2 * LEN);
    CHECK(lseek(f, 0, SEEK_SET) == 0);
    read_back(f);

    int s[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    CHECK(sendmsg(s[1], &m, 0) == 2 * LEN);
    read_back(s[0]);
    printf("sent %d bytes three ways\n", 2 * LEN);
    PASS();
    return 0;
}
