/* Copies its own binary into a memfd and executes that. */
#include "conf.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1) {
        char link[256];
        ssize_t n = readlink("/proc/self/exe", link, sizeof link - 1);
        CHECK(n > 0);
        link[n] = 0;
        CHECK(strstr(link, "memfd:") != NULL);
        PASS();
        return 0;
    }
    int src = open("/proc/self/exe", O_RDONLY);
    int mfd = memfd_create("conf_exec", MFD_CLOEXEC);
    CHECK(src >= 0 && mfd >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(src, buf, sizeof buf)) > 0) CHECK(write(mfd, buf, n) == n);
    CHECK(n == 0);
    char *args[] = {argv[0], "from-memfd", NULL};
    syscall(SYS_execveat, mfd, "", args, environ, AT_EMPTY_PATH);
    CHECK(!"exec of memfd returned");
}
