/* crash_bug: the "user-reported bug" — crashes (SIGSEGV) on ~25% of runs,
 * depending on one random byte from getrandom(2).
 * A test re-records until a crash is captured, then checks replay crashes the
 * same way (same byte printed, same SIGSEGV) every time. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/random.h>

/* noinline + volatile so the NULL dereference survives optimization. */
__attribute__((noinline)) static int process(int *p) {
    volatile int *vp = p;
    *vp = 42;
    return *vp;
}

int main(void) {
    unsigned char b;
    if (getrandom(&b, 1, 0) != 1) { perror("getrandom"); return 1; }
    printf("byte=%u\n", b);
    fflush(stdout);
    int x = 0;
    int *volatile target = (b % 4 == 0) ? NULL : &x;
    process(target);
    printf("ok\n");
    fflush(stdout);
    return 0;
}
