/* check_secret: a value only the recording knows, for debugging a replay
 * (tests/gdb). main gets a random number from getrandom(2), copies it into
 * a global from user code (a hardware watchpoint target), and passes it to
 * check(), which prints it. The exit code also depends on it (1..100). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/random.h>

volatile unsigned last_secret;

__attribute__((noinline)) void check(unsigned secret) {
    printf("secret=%u\n", secret);
    fflush(stdout);
}

int main(void) {
    unsigned secret;
    if (getrandom(&secret, sizeof secret, 0) != (long)sizeof secret) {
        perror("getrandom");
        return 1;
    }
    secret %= 1000000;
    last_secret = secret;
    check(secret);
    return 1 + (int)(last_secret % 100);
}
