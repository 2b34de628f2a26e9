/* stress: many cheap syscalls plus bulk data. 200000 raw getpid syscalls, then
 * 64 x 1 MiB reads from /dev/urandom; prints FNV-1a 64 checksum and call count.
 * A test records it and checks replay reproduces the checksum (exercises the
 * recorder's throughput and large-buffer storage).
 * `stress CALLS MIBS`: other counts (the arm64 VM, where every ptrace stop
 * and every emulated instruction is slow, runs fewer). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MIB (1024 * 1024)

int main(int argc, char **argv) {
    long calls = 0, pid = 0;
    const long ncalls = argc > 1 ? atol(argv[1]) : 200000;
    const int mibs = argc > 2 ? atoi(argv[2]) : 64;
    for (long i = 0; i < ncalls; i++) {
        pid = syscall(SYS_getpid);
        calls++;
    }
    unsigned char *buf = malloc(MIB);
    if (!buf) { perror("malloc"); return 1; }
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0) { perror("open /dev/urandom"); return 1; }
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 offset basis */
    for (int m = 0; m < mibs; m++) {
        size_t got = 0;
        while (got < MIB) { /* one read per MiB unless it comes back short */
            ssize_t n = read(fd, buf + got, MIB - got);
            if (n <= 0) { perror("read"); return 1; }
            got += (size_t)n;
        }
        for (size_t i = 0; i < MIB; i++) {
            h ^= buf[i];
            h *= 1099511628211ULL;
        }
    }
    close(fd);
    free(buf);
    printf("getpid calls=%ld (pid=%ld)\n", calls, pid);
    printf("checksum=%016llx\n", (unsigned long long)h);
    fflush(stdout);
    return 0;
}
