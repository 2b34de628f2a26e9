/* tcp_loopback: nondeterminism from networking + fork: ephemeral ports, child pid,
 * random payload received over a loopback TCP connection, child exit status.
 * The parent listens on 127.0.0.1:0, a forked child connects and sends a message.
 * A test records it (following the child) and checks replay output is identical. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(unsigned short port) {
    unsigned char rnd[8];
    char msg[128];
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) return 2;
    int len = snprintf(msg, sizeof msg, "hello from pid %ld rnd ", (long)getpid());
    for (size_t i = 0; i < sizeof rnd; i++)
        len += snprintf(msg + len, sizeof msg - (size_t)len, "%02x", rnd[i]);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 3;
    for (int off = 0; off < len;) {
        ssize_t n = send(fd, msg + off, (size_t)(len - off), 0);
        if (n <= 0) return 4;
        off += (int)n;
    }
    close(fd);
    return 7; /* distinctive exit status */
}

int main(void) {
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(lfd, 1) != 0 || getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0) {
        perror("listen setup");
        return 1;
    }
    unsigned short port = ntohs(addr.sin_port);
    printf("listening on port %u\n", port);
    fflush(stdout); /* don't duplicate buffered output into the child */

    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        close(lfd);
        _exit(child(port));
    }

    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int cfd = accept(lfd, (struct sockaddr *)&peer, &plen);
    if (cfd < 0) { perror("accept"); return 1; }
    char buf[256];
    size_t got = 0;
    for (;;) { /* read until the child closes the connection */
        ssize_t n = recv(cfd, buf + got, sizeof buf - 1 - got, 0);
        if (n < 0) { perror("recv"); return 1; }
        if (n == 0 || got + (size_t)n >= sizeof buf - 1) { got += (size_t)n; break; }
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(cfd);
    close(lfd);
    printf("peer port %u\n", ntohs(peer.sin_port));
    printf("message: %s\n", buf);

    int status;
    if (waitpid(pid, &status, 0) != pid) { perror("waitpid"); return 1; }
    if (WIFEXITED(status))
        printf("child %ld exited with status %d\n", (long)pid, WEXITSTATUS(status));
    else
        printf("child %ld terminated abnormally (0x%x)\n", (long)pid, status);
    fflush(stdout);
    return 0;
}
