/* readsize FILE SIZE N: benchmark helper for tests/bench/run.sh (scaling vs read size).
 * Makes N pread()s of SIZE bytes, advancing the offset by SIZE. At the end of FILE it starts
 * again one byte further than last time, so no two reads return the same bytes (a recorder
 * that deduplicates data by content gets no free ride). Touches one byte per 64 so the
 * native run stays dominated by the syscalls, and prints a small checksum. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s FILE SIZE N\n", argv[0]);
        return 2;
    }
    long size = strtol(argv[2], NULL, 10);
    long n = strtol(argv[3], NULL, 10);
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || size <= 0 || st.st_size < size) {
        fprintf(stderr, "%s: file smaller than one read\n", argv[1]);
        return 1;
    }
    unsigned char *buf = malloc((size_t)size);
    if (!buf) { perror("malloc"); return 1; }
    unsigned long sum = 0;
    long long total = 0;
    off_t off = 0, wraps = 0;
    for (long i = 0; i < n; i++) {
        if (off + size > st.st_size) off = ++wraps % size;
        ssize_t got = pread(fd, buf, (size_t)size, off);
        if (got < 0) { perror("pread"); return 1; }
        for (ssize_t j = 0; j < got; j += 64) sum += buf[j];
        total += got;
        off += size;
    }
    close(fd);
    printf("reads=%ld size=%ld bytes=%lld sum=%lu\n", n, size, total, sum);
    fflush(stdout);
    return 0;
}
