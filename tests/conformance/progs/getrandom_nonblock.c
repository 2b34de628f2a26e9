/* getrandom with GRND_NONBLOCK and GRND_INSECURE-free flags: the bytes
 * differ every run; replay must print the recorded ones. */
#include "conf.h"
#include <sys/random.h>

int main(void) {
    unsigned char b[16];
    CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == (ssize_t)sizeof b);
    for (size_t i = 0; i < sizeof b; i++) printf("%02x", b[i]);
    printf("\n");
    CHECK(getrandom(b, 4, GRND_RANDOM | GRND_NONBLOCK) >= 0 || errno == EAGAIN);
    printf("%02x%02x\n", b[0], b[1]);
    PASS();
    return 0;
}
