/* fexecve of the program's own binary through an fd. */
#include "conf.h"
#include <fcntl.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1) {
        CHECK(strcmp(argv[1], "again") == 0);
        PASS();
        return 0;
    }
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    char *args[] = {argv[0], "again", NULL};
    fexecve(fd, args, environ);
    CHECK(!"fexecve returned");
}
