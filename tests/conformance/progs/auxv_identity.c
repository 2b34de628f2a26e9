/* The identity words of the auxv (AT_UID, AT_EUID, AT_GID, AT_EGID,
 * AT_SECURE), which getauxval reads without a syscall (valgrind copies them
 * into a file). Replay runs a root recording as another user, whose kernel
 * writes other values there. The program prints them, then execs itself
 * once: each exec's words are its own. */
#include "conf.h"
#include <sys/auxv.h>

int main(int argc, char** argv) {
    printf("%s: uid %lu euid %lu gid %lu egid %lu secure %lu\n", argc > 1 ? "after exec" : "first",
           getauxval(AT_UID), getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID),
           getauxval(AT_SECURE));
    fflush(stdout);
    if (argc == 1) {
        execl("/proc/self/exe", argv[0], "again", (char*)NULL);
        CHECK(0);
    }
    PASS();
    return 0;
}
