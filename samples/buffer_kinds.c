/* buffer_kinds: one syscall for each buffer size kind of syscalls.def (FIXED,
 * RET, ARG, ARGMUL, LENPTR, IOV, MSGHDR, MMSGHDR, MMSGLEN, IOCTL, FCNTL,
 * FDSET, PAGES, BITS, HANDLE) on pipes, a socket pair and a temporary file,
 * carrying random bytes. Prints what each call returned and a checksum of the
 * bytes the kernel wrote, so a replay that misses a byte prints otherwise.
 * tests/bpf/buffer_kinds.sh compares the regions each backend records. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static uint64_t sum = 1469598103934665603ull;

/* FNV-1a over bytes the kernel wrote. */
static void mix(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) sum = (sum ^ b[i]) * 1099511628211ull;
}

static void report(const char *what, long ret, const void *p, size_t n) {
    if (p && ret >= 0) mix(p, n);
    printf("%-18s %ld\n", what, ret);
}

int main(void) {
    char rnd[64], buf[256];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) return 1;
    int p[2], sv[2];
    if (pipe(p) || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) return 1;

    struct stat st;  /* FIXED */
    report("fstat", fstat(p[0], &st), &st.st_mode, sizeof st.st_mode);

    write(p[1], rnd, 40);  /* RET, IOCTL, FDSET, ARGMUL, IOV */
    int avail = 0;
    report("ioctl FIONREAD", ioctl(p[0], FIONREAD, &avail), &avail, sizeof avail);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {1, 0};
    report("select", select(p[0] + 1, &rs, NULL, NULL, &tv), &rs, sizeof rs);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    report("poll", poll(&pf, 1, 1000), &pf.revents, sizeof pf.revents);
    ssize_t n = read(p[0], buf, 10);
    report("read", n, buf, n > 0 ? (size_t)n : 0);
    struct iovec iov[2] = {{buf, 7}, {buf + 100, 50}};
    n = readv(p[0], iov, 2);
    report("readv", n, buf, 7);
    mix(buf + 100, n > 7 ? (size_t)n - 7 : 0);

    sigset_t set;  /* ARG */
    sigemptyset(&set);
    report("rt_sigpending", syscall(SYS_rt_sigpending, &set, 8), &set, 8);

    struct sockaddr_un { unsigned short family; char path[108]; } sa;  /* LENPTR */
    socklen_t salen = sizeof sa;
    report("getsockname", getsockname(sv[0], (void *)&sa, &salen), &salen, sizeof salen);
    int sndbuf = 0;
    socklen_t olen = sizeof sndbuf;
    report("getsockopt", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &sndbuf, &olen), &sndbuf, olen);

    /* MSGHDR: data and a passed fd (control). */
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr mh = {0};
    struct iovec siov = {rnd, 24};
    mh.msg_iov = &siov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    sendmsg(sv[1], &mh, 0);
    char rbuf[64], rctl[64];
    struct iovec riov = {rbuf, sizeof rbuf};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl,
                        .msg_controllen = sizeof rctl};
    n = recvmsg(sv[0], &rm, 0);
    report("recvmsg", n, rbuf, n > 0 ? (size_t)n : 0);
    printf("%-18s %zu\n", "controllen", (size_t)rm.msg_controllen);

    /* MMSGLEN, MMSGHDR: two datagrams out, two in. */
    struct iovec m_out[2] = {{rnd + 8, 16}, {rnd + 30, 20}};
    struct mmsghdr so[2] = {{.msg_hdr = {.msg_iov = &m_out[0], .msg_iovlen = 1}},
                            {.msg_hdr = {.msg_iov = &m_out[1], .msg_iovlen = 1}}};
    report("sendmmsg", sendmmsg(sv[1], so, 2, 0), &so[1].msg_len, sizeof so[1].msg_len);
    char in0[32], in1[32];
    struct iovec m_in[2] = {{in0, sizeof in0}, {in1, sizeof in1}};
    struct mmsghdr ri[2] = {{.msg_hdr = {.msg_iov = &m_in[0], .msg_iovlen = 1}},
                            {.msg_hdr = {.msg_iov = &m_in[1], .msg_iovlen = 1}}};
    int got = recvmmsg(sv[0], ri, 2, MSG_DONTWAIT, NULL);
    report("recvmmsg", got, in0, got > 0 ? ri[0].msg_len : 0);
    if (got > 1) mix(in1, ri[1].msg_len);

    /* FCNTL, PAGES, HANDLE. Not mkstemp: glibc calls getrandom there only
     * when its clock-derived name is unfair, so the set of calls would vary
     * from run to run (the test compares two runs' regions). */
    char path[64];
    snprintf(path, sizeof path, "/tmp/rp-buffer-kinds-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return 1;
    write(fd, rnd, sizeof rnd);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
    report("fcntl F_GETLK", fcntl(fd, F_GETLK, &fl), &fl.l_type, sizeof fl.l_type);
    void *map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ((char *)map)[4096] = 1;
    unsigned char vec[3];
    report("mincore", mincore(map, 3 * 4096, vec), vec, sizeof vec);
    struct { unsigned int bytes; int type; unsigned char h[128]; } fh = {.bytes = 128};
    int mount_id = 0;
    long r = syscall(SYS_name_to_handle_at, AT_FDCWD, path, &fh, &mount_id, 0);
    report("name_to_handle_at", r < 0 ? -1 : r, &fh.bytes, sizeof fh.bytes);
    unlink(path);
    int mode = -1;  /* BITS */
    unsigned long nodes[2] = {0, 0};
    r = syscall(SYS_get_mempolicy, &mode, nodes, 65, NULL, 0);
    report("get_mempolicy", r < 0 ? -1 : r, &mode, sizeof mode);

    struct { long mtype; char text[48]; } msg = {.mtype = 7}, back;  /* RET + header */
    memcpy(msg.text, rnd, 40);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (q >= 0 && msgsnd(q, &msg, 40, 0) == 0) {
        n = msgrcv(q, &back, sizeof back.text, 0, 0);
        report("msgrcv", n, &back, n > 0 ? 8 + (size_t)n : 0);
        msgctl(q, IPC_RMID, NULL);
    }
    printf("checksum %016llx\n", (unsigned long long)sum);
    return 0;
}
