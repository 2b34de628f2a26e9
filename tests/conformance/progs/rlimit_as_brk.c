/* RLIMIT_AS a few MiB above what the process maps: sbrk grows the heap
 * until the kernel refuses (brk returns the old break). setrlimit is
 * emulated in replay, so there the refused brk, run for real, would
 * succeed: replay must give the refusal, not make it. */
#include "conf.h"
#include <stdint.h>
#include <sys/resource.h>

static long vm_size_kb(void) {
    FILE* f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

int main(void) {
    long kb = vm_size_kb();
    CHECK(kb > 0);
    struct rlimit rl = {(rlim_t)(kb + 8 * 1024) * 1024, RLIM_INFINITY};
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
    int grown = 0;
    while (grown < 64 && sbrk(1 << 20) != (void*)-1) grown++;
    CHECK(grown < 64 && errno == ENOMEM);
    printf("the heap grew by %d MiB before RLIMIT_AS refused\n", grown);
    PASS();
    return 0;
}
