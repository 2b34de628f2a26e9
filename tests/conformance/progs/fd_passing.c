/* Descriptors passed through a socketpair (SCM_RIGHTS) keep what they refer
 * to: the terminal (a write through the received copy is output), and a
 * process's /proc/PID/mem (a write through the received copy changes that
 * memory); by sendmsg/recvmsg and by sendmmsg/recvmmsg. */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

static int vectored;  /* sendmmsg/recvmmsg instead of sendmsg/recvmsg */

static void send_fd(int sock, int fd) {
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    char ctl[CMSG_SPACE(sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct mmsghdr mm = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                                     .msg_controllen = sizeof ctl}};
    struct msghdr *m = &mm.msg_hdr;
    struct cmsghdr *c = CMSG_FIRSTHDR(m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (vectored) CHECK(sendmmsg(sock, &mm, 1, 0) == 1);
    else CHECK(sendmsg(sock, m, 0) == 1);
}

static int recv_fd(int sock) {
    char byte;
    struct iovec iov = {&byte, 1};
    char ctl[CMSG_SPACE(sizeof(int))];
    struct mmsghdr mm = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                                     .msg_controllen = sizeof ctl}};
    struct msghdr *m = &mm.msg_hdr;
    if (vectored) CHECK(recvmmsg(sock, &mm, 1, 0, NULL) == 1);
    else CHECK(recvmsg(sock, m, 0) == 1);
    struct cmsghdr *c = CMSG_FIRSTHDR(m);
    CHECK(c && c->cmsg_type == SCM_RIGHTS);
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

static volatile int target = 1;

int main(void) {
    for (vectored = 0; vectored <= 1; vectored++) {
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        send_fd(sv[0], 1);
        int out = recv_fd(sv[1]);
        CHECK(out > 2);
        CHECK(write(out, "through the passed stdout\n", 26) == 26);
        close(out);

        int mem = open("/proc/self/mem", O_RDWR);
        CHECK(mem >= 0);
        send_fd(sv[1], mem);
        close(mem);
        int got = recv_fd(sv[0]);
        int v = 42 + vectored;
        CHECK(pwrite(got, &v, sizeof v, (off_t)(uintptr_t)&target) == sizeof v);
        printf("target after a write through the passed mem file: %d\n", target);
        CHECK(target == v);
        close(got);
        close(sv[0]);
        close(sv[1]);
    }
    PASS();
    return 0;
}
