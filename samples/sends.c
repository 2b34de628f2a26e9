/* sends: a program that mostly sends bytes. N lines to stdout, one call
 * each (write and writev in turn), and N datagrams over a socketpair
 * (sendto and sendmsg in turn), each received back with recv and counted. Replay's in-process
 * agent answers such calls, checks what they sent against the recording
 * and prints what went to the terminal (tests/integration/agent.sh).
 * usage: sends [N] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 1;
    long got = 0;
    for (int i = 0; i < n; i++) {
        char line[64], back[64];
        int len = snprintf(line, sizeof line, "line %d of %d\n", i, n);
        ssize_t w;
        if (i % 2) {
            w = write(1, line, (size_t)len);
        } else {
            struct iovec v[3] = {{line, 5}, {NULL, 0}, {line + 5, (size_t)len - 5}};
            w = writev(1, v, 3);
        }
        if (w != len) return 2;
        if (i % 2) {
            if (sendto(sv[0], line, (size_t)len, 0, NULL, 0) != len) return 3;
        } else {
            struct iovec v[2] = {{line, 4}, {line + 4, (size_t)len - 4}};
            struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
            if (sendmsg(sv[0], &m, 0) != len) return 3;
        }
        ssize_t r = recv(sv[1], back, sizeof back, 0);
        if (r != len || memcmp(back, line, (size_t)len) != 0) return 4;
        got += r;
    }
    printf("received %ld bytes\n", got);
    return 0;
}
