/* poker FILE: keeps changing the first int of FILE (at least 4096 bytes long,
 * so a MAP_SHARED page of it exists) until killed. The divergence test runs it
 * untraced next to a recording and a replay of sample_shared_counter: the
 * value the program reads is then something no syscall ever carried. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s FILE\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    if (ftruncate(fd, 4096) != 0) { perror("ftruncate"); return 1; }
    /* A counter from a time-based start: every write differs from the last,
     * and two runs do not start from the same value. */
    int32_t v = (int32_t)(time(NULL) & 0xffff) * 1000;
    const struct timespec pause = {0, 200 * 1000};
    for (;;) {
        v++;
        if (pwrite(fd, &v, sizeof v, 0) != (ssize_t)sizeof v) { perror("pwrite"); return 1; }
        nanosleep(&pause, NULL);
    }
}
