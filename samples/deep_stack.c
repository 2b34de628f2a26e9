/* deep_stack LIMIT_MIB DEPTH_MIB [CALLS]: sets its RLIMIT_STACK soft limit
 * to LIMIT_MIB, makes CALLS getppid calls (default 3000: enough for a
 * `--ring 64K` recording to take snapshots after the setrlimit), then
 * recurses until DEPTH_MIB of stack are in use and prints "deep DEPTH_MIB".
 * Past the limit it dies of SIGSEGV, as the kernel stops the stack's growth
 * there: a replay must give the program the limit it had
 * (tests/integration/ring.sh, case s). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* Each level holds a 4 KiB frame and touches it, so the stack grows a page
 * per call; the sum keeps the compiler from folding the recursion. */
static unsigned long descend(unsigned long pages) {
    volatile char frame[4096];
    frame[0] = (char)pages;
    frame[sizeof frame - 1] = (char)(pages >> 8);
    if (pages == 0) return frame[0];
    return descend(pages - 1) + (unsigned char)frame[sizeof frame - 1];
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIMIT_MIB DEPTH_MIB [CALLS]\n", argv[0]);
        return 2;
    }
    unsigned long limit = strtoul(argv[1], NULL, 10), depth = strtoul(argv[2], NULL, 10);
    long calls = argc > 3 ? strtol(argv[3], NULL, 10) : 3000;
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0) return 1;
    rl.rlim_cur = limit << 20;
    if (setrlimit(RLIMIT_STACK, &rl) != 0) {
        perror("setrlimit");
        return 1;
    }
    for (long i = 0; i < calls; i++) getppid();
    unsigned long sum = descend(depth << 8);
    printf("deep %lu (%lu)\n", depth, sum & 1);
    return 0;
}
