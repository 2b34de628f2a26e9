/* The program runs itself again through /proc/self/exe, a name that means
 * a different file in every process (rp must store the program's, not its own). */
#include "conf.h"

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1) {
        CHECK(strcmp(argv[1], "again") == 0);
        PASS();
        return 0;
    }
    char *args[] = {argv[0], "again", NULL};
    execve("/proc/self/exe", args, environ);
    CHECK(!"execve returned");
    return 1;
}
