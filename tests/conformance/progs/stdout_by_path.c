/* Output written through /dev/stdout and /proc/self/fd/1 opened by path. */
#include "conf.h"
#include <fcntl.h>

int main(void) {
    int a = open("/dev/stdout", O_WRONLY);
    CHECK(a >= 0);
    CHECK(write(a, "via /dev/stdout\n", 16) == 16);
    int b = open("/proc/self/fd/1", O_WRONLY);
    CHECK(b >= 0);
    CHECK(write(b, "via /proc/self/fd/1\n", 20) == 20);
    FILE *f = fopen("/dev/stderr", "w");
    CHECK(f != NULL);
    fputs("via /dev/stderr\n", f);
    fclose(f);
    close(a);
    close(b);
    PASS();
    return 0;
}
