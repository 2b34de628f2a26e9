/* random_bytes: nondeterminism from getrandom(2).
 * Prints 16 random bytes as hex; every native run differs.
 * A test records it, then checks replay prints the same hex as the recording. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

int main(void) {
    unsigned char buf[16];
    if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf) {
        perror("getrandom");
        return 1;
    }
    printf("random: ");
    for (size_t i = 0; i < sizeof buf; i++)
        printf("%02x", buf[i]);
    printf("\n");
    fflush(stdout);
    return 0;
}
