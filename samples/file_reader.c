/* file_reader PATH: nondeterminism from file system state (contents, size, mtime).
 * Reads PATH in 4 KiB reads, fstat()s it, prints size, mtime (ns) and contents.
 * A test writes random content to PATH, records, then changes/deletes PATH;
 * replay must still print the original content. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s PATH\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 1; }
    char *data = NULL;
    size_t len = 0;
    for (;;) {
        char *p = realloc(data, len + 4096);
        if (!p) { perror("realloc"); return 1; }
        data = p;
        ssize_t n = read(fd, data + len, 4096);
        if (n < 0) { perror("read"); return 1; }
        if (n == 0) break;
        len += (size_t)n;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
    close(fd);
    printf("size=%lld\n", (long long)st.st_size);
    printf("mtime=%lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    printf("contents (%zu bytes read):\n", len);
    fwrite(data, 1, len, stdout);
    printf("\n--end--\n");
    fflush(stdout);
    free(data);
    return 0;
}
