/* sendmsg over a socketpair with SCM_RIGHTS (a pipe end) and
 * SCM_CREDENTIALS; the receiver uses the passed descriptor. */
#include "conf.h"
#include <sys/socket.h>
#include <sys/wait.h>

int main(void) {
    int sv[2], p[2], on = 1;
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0);
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
    char data = 'd';
    struct iovec iov = {&data, 1};
    union { char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr a; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    c = CMSG_NXTHDR(&m, c);
    struct ucred cr = {getpid(), getuid(), getgid()};
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_CREDENTIALS; c->cmsg_len = CMSG_LEN(sizeof cr);
    memcpy(CMSG_DATA(c), &cr, sizeof cr);
    CHECK(sendmsg(sv[0], &m, 0) == 1);
    close(p[1]);
    memset(&u, 0, sizeof u);
    struct msghdr r = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    CHECK(recvmsg(sv[1], &r, 0) == 1);
    int got = -1, creds = 0;
    for (c = CMSG_FIRSTHDR(&r); c; c = CMSG_NXTHDR(&r, c)) {
        if (c->cmsg_type == SCM_RIGHTS) memcpy(&got, CMSG_DATA(c), sizeof got);
        if (c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred rc;
            memcpy(&rc, CMSG_DATA(c), sizeof rc);
            creds = rc.pid == getpid();
        }
    }
    CHECK(got >= 0 && creds);
    char buf[16] = {0};
    CHECK(write(got, "via passed fd", 13) == 13 && read(p[0], buf, 15) == 13);
    printf("%s, creds ok\n", buf);
    PASS();
    return 0;
}
