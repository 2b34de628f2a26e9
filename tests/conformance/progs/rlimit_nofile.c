/* prlimit lowers RLIMIT_NOFILE; getrlimit reads it back and opening past it
 * gives EMFILE. */
#include "conf.h"
#include <fcntl.h>
#include <sys/resource.h>

int main(void) {
    struct rlimit old, lim = {.rlim_cur = 8, .rlim_max = 64};
    CHECK(prlimit(0, RLIMIT_NOFILE, &lim, &old) == 0);
    struct rlimit now;
    CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_cur == 8 && now.rlim_max == 64);
    int n = 0, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) n++;
    CHECK(errno == EMFILE);
    struct rlimit st;
    CHECK(getrlimit(RLIMIT_STACK, &st) == 0);
    printf("opened %d more, old max %s\n", n, old.rlim_max >= 64 ? "higher" : "lower");
    PASS();
    return 0;
}
