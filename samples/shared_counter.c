/* shared_counter FILE N: nondeterminism through MAP_SHARED memory the tracer
 * never sees. Each iteration reads an int from the shared page and write(2)s
 * "value=%d\n", then sleeps 1 ms. A test has another (untraced) process keep
 * changing FILE during record and replay, so replay must detect a divergence. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE N\n", argv[0]); return 2; }
    long n = strtol(argv[2], NULL, 10);
    int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
    if (st.st_size < 4096 && ftruncate(fd, 4096) != 0) { perror("ftruncate"); return 1; }
    volatile int32_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED) { perror("mmap"); return 1; }
    close(fd);
    for (long i = 0; i < n; i++) {
        char line[32];
        int len = snprintf(line, sizeof line, "value=%d\n", (int)page[0]);
        if (write(1, line, (size_t)len) != len) return 1;
        usleep(1000);
    }
    munmap((void *)page, 4096);
    return 0;
}
