/* x86_64's legacy vsyscall page: a call to 0xffffffffff600000 (gettimeofday),
 * ...600400 (time) or ...600800 (getcpu) traps into the kernel, which runs the
 * call without a syscall instruction, so no syscall tracepoint or ptrace
 * syscall stop sees it (old static binaries and old Go runtimes call it).
 * The values it returns differ every run and are printed. Where the kernel
 * has no such page (vsyscall=none, other architectures) nothing is called. */
#include "conf.h"
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#if defined(__x86_64__)
static long vcall(uint64_t addr, void* a, void* b, void* c) {
    long ret;
    __asm__ __volatile__("callq *%%rax"
                         : "=a"(ret)
                         : "a"(addr), "D"(a), "S"(b), "d"(c)
                         : "rcx", "r8", "r9", "r10", "r11", "cc", "memory");
    return ret;
}

/* An executable [vsyscall] line in /proc/self/maps (vsyscall=xonly or emulate). */
static int vsyscall_page_usable(void) {
    FILE* maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    char line[256];
    int usable = 0;
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "[vsyscall]") && strstr(line, "--xp")) usable = 1;
    fclose(maps);
    return usable;
}
#endif

int main(void) {
#if defined(__x86_64__)
    if (vsyscall_page_usable()) {
        struct timeval tv = {0, 0};
        struct timezone tz;
        CHECK(vcall(0xffffffffff600000ull, &tv, &tz, NULL) == 0);
        CHECK(tv.tv_sec > 0);
        CHECK(vcall(0xffffffffff600000ull, NULL, NULL, NULL) == 0);  /* writes nothing */
        time_t t = 0;
        long now = vcall(0xffffffffff600400ull, &t, NULL, NULL);
        CHECK(now == t && now >= tv.tv_sec);
        unsigned cpu = ~0u, node = ~0u;
        CHECK(vcall(0xffffffffff600800ull, &cpu, &node, NULL) == 0);
        CHECK(cpu < 4096 && node < 4096);
        printf("gettimeofday %ld.%06ld time %ld cpu %u node %u\n", (long)tv.tv_sec,
               (long)tv.tv_usec, now, cpu, node);
    } else {
        printf("no vsyscall page\n");
    }
#else
    printf("no vsyscall page\n");
#endif
    PASS();
    return 0;
}
