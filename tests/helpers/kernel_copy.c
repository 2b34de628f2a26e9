/* kernel_copy MODE FILE: copies FILE (18 bytes) to stdout inside the kernel,
 * so that the bytes never pass through this program's memory:
 *   sendfile         sendfile from the file
 *   copy_file_range  copy_file_range from the file (stdout a regular file)
 *   splice           splice from a pipe filled from the file by splice
 *   splice_file      splice from the file (stdout a pipe)
 * Used by tests/integration/kernel_copy_output.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s sendfile|copy_file_range|splice|splice_file FILE\n", argv[0]);
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror(argv[2]); return 1; }
    const char *mode = argv[1];
    ssize_t n = -1;
    if (strcmp(mode, "sendfile") == 0) {
        n = sendfile(1, fd, NULL, 100);
    } else if (strcmp(mode, "copy_file_range") == 0) {
        n = copy_file_range(fd, NULL, 1, NULL, 100, 0);
    } else if (strcmp(mode, "splice_file") == 0) {
        n = splice(fd, NULL, 1, NULL, 100, 0);
    } else if (strcmp(mode, "splice") == 0) {
        int p[2];
        if (pipe(p) != 0) return 1;
        n = splice(fd, NULL, p[1], NULL, 100, 0);
        if (n > 0) n = splice(p[0], NULL, 1, NULL, (size_t)n, 0);
    }
    if (n != 18) perror(mode);
    return n == 18 ? 0 : 1;
}
