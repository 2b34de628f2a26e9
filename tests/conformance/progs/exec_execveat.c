/* execveat(fd, "", ..., AT_EMPTY_PATH), and execveat relative to a directory fd. */
#include "conf.h"
#include <fcntl.h>
#include <libgen.h>
#include <sys/syscall.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "second") == 0) {
        PASS();
        return 0;
    }
    if (argc > 1) { /* first exec done: now by directory fd + name */
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        CHECK(n > 0);
        self[n] = 0;
        char dir[4096], base[4096];
        strcpy(dir, self);
        strcpy(base, self);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
        CHECK(dfd >= 0);
        char *args[] = {argv[0], "second", NULL};
        syscall(SYS_execveat, dfd, basename(base), args, environ, 0);
        CHECK(!"execveat by name returned");
    }
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    char *args[] = {argv[0], "first", NULL};
    syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
    CHECK(!"execveat AT_EMPTY_PATH returned");
}
