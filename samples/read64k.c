/* read64k FILE [N]: microbenchmark of recording syscall output data.
 * pread()s FILE in 64 KiB chunks from offset 0, N times (default 2000), and
 * prints an FNV-1a 64 checksum. A benchmark times native vs. record vs. replay. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE [N]\n", argv[0]); return 2; }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 1; }
    static unsigned char buf[CHUNK];
    uint64_t h = 1469598103934665603ULL;
    long long total = 0;
    for (long i = 0; i < n; i++) {
        ssize_t got = pread(fd, buf, CHUNK, 0);
        if (got < 0) { perror("pread"); return 1; }
        for (ssize_t j = 0; j < got; j++) {
            h ^= buf[j];
            h *= 1099511628211ULL;
        }
        total += got;
    }
    close(fd);
    printf("reads=%ld bytes=%lld checksum=%016llx\n", n, total, (unsigned long long)h);
    fflush(stdout);
    return 0;
}
