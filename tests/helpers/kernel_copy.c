/* kernel_copy sendfile|splice FILE: copies FILE to stdout inside the kernel
 * (sendfile from the file; splice from a pipe filled from it), so that the
 * bytes never pass through this program's memory after the read. Used by
 * tests/integration/kernel_copy_output.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s sendfile|splice FILE\n", argv[0]); return 2; }
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror(argv[2]); return 1; }
    ssize_t n;
    if (strcmp(argv[1], "sendfile") == 0) {
        n = sendfile(1, fd, NULL, 100);
    } else {
        int p[2];
        if (pipe(p) != 0) return 1;
        n = splice(fd, NULL, p[1], NULL, 100, 0);
        if (n > 0) n = splice(p[0], NULL, 1, NULL, (size_t)n, 0);
    }
    return n == 18 ? 0 : 1;
}
