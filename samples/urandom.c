/* urandom: nondeterminism from read(2) on /dev/urandom.
 * Prints 16 bytes as hex plus a number 0..999 taken from further bytes.
 * A test records it, then checks replay output matches the recording exactly. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int read_full(int fd, void *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    return 0;
}

int main(void) {
    unsigned char buf[16];
    uint32_t r;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0) { perror("open /dev/urandom"); return 1; }
    if (read_full(fd, buf, sizeof buf) < 0 || read_full(fd, &r, sizeof r) < 0) {
        perror("read");
        return 1;
    }
    close(fd);
    printf("urandom: ");
    for (size_t i = 0; i < sizeof buf; i++)
        printf("%02x", buf[i]);
    printf("\nnumber: %u\n", (unsigned)(r % 1000));
    fflush(stdout);
    return 0;
}
