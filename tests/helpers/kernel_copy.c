/* kernel_copy MODE FILE: copies FILE (18 bytes) to stdout inside the kernel,
 * so that the bytes never pass through this program's memory:
 *   sendfile         sendfile from the file
 *   copy_file_range  copy_file_range from the file (stdout a regular file)
 *   splice           splice from a pipe filled from the file by splice
 *   splice_file      splice from the file (stdout a pipe)
 *   tee              tee from a pipe filled from the file (stdout a pipe)
 *   tee_shared       the same, while a child process holds the pipe open
 *                    for reading (it could have read the bytes first)
 *   splice_pipe      splice from a pipe filled from the file (stdout a pipe
 *                    or a terminal)
 *   splice_pipe_dup  the same into a copy of stdout on fd 9
 * Used by tests/integration/kernel_copy_output.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s sendfile|copy_file_range|splice|splice_file|tee|tee_shared|splice_pipe|splice_pipe_dup FILE\n", argv[0]);
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
    } else if (strcmp(mode, "splice") == 0 || strncmp(mode, "splice_pipe", 11) == 0) {
        int p[2], out = 1;
        if (pipe(p) != 0) return 1;
        if (strcmp(mode, "splice_pipe_dup") == 0 && (out = dup2(1, 9)) != 9) return 1;
        n = splice(fd, NULL, p[1], NULL, 100, 0);
        if (n > 0) n = splice(p[0], NULL, out, NULL, (size_t)n, 0);
    } else if (strncmp(mode, "tee", 3) == 0) {
        int p[2], go[2];
        if (pipe(p) != 0 || pipe(go) != 0) return 1;
        pid_t child = -1;
        if (strcmp(mode, "tee_shared") == 0 && (child = fork()) == 0) {
            char c;  /* holds p[0] until the parent is done */
            close(go[1]);
            _exit(read(go[0], &c, 1) < 0);
        }
        close(go[0]);
        n = splice(fd, NULL, p[1], NULL, 100, 0);
        if (n > 0) n = tee(p[0], 1, (size_t)n, 0);
        close(go[1]);
        if (child > 0) waitpid(child, NULL, 0);
    }
    if (n != 18) perror(mode);
    return n == 18 ? 0 : 1;
}
