/* vmsplice both ways: read-only bytes (a string literal) into a pipe's write
 * end, then from its read end into memory, which it fills as readv does. */
#include "conf.h"
#include <fcntl.h>
#include <sys/uio.h>

int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    static const char msg[] = "spliced bytes";
    struct iovec in = {(void *)msg, sizeof msg - 1};
    CHECK(vmsplice(p[1], &in, 1, 0) == (ssize_t)(sizeof msg - 1));
    char a[8] = {0}, b[16] = {0};
    struct iovec out[2] = {{a, 8}, {b, 16}};
    ssize_t n = vmsplice(p[0], out, 2, 0);
    CHECK(n == (ssize_t)(sizeof msg - 1));
    CHECK(memcmp(a, "spliced ", 8) == 0 && strcmp(b, "bytes") == 0);
    printf("%.8s%s\n", a, b);
    PASS();
    return 0;
}
