/* x86_64: cpuid answers from the CPU, not through a syscall, and a program
 * that finds RDRAND or RDSEED there draws random numbers without one
 * (libgcrypt does). Where the CPU can make cpuid fault (cpuid_fault in
 * /proc/cpuinfo), rp answers it, records the answers and leaves those
 * features out, so the program takes its other path; a program that uses
 * them anyway prints numbers replay cannot give back. The per-core ids of
 * leaves 1 and 0xb say which core answered, which a replay on another core
 * must not change. Checked in the process, a thread, a forked child and a
 * program it execs (the kernel clears the faulting at exec). */
#include "conf.h"
#include <pthread.h>
#include <sys/wait.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static int cpu_can_fault_cpuid(void) {
    FILE* f = fopen("/proc/cpuinfo", "r");
    CHECK(f != NULL);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0 && strstr(line, " cpuid_fault")) found = 1;
    fclose(f);
    return found;
}

__attribute__((target("rdrnd,rdseed"))) static void report(const char* who) {
    unsigned a, b, c, d;
    __cpuid_count(1, 0, a, b, c, d);
    printf("%s: leaf 1 eax %#x apic %u", who, a, b >> 24);
    if (c & bit_RDRND) {
        unsigned long long r = 0;
        while (!_rdrand64_step(&r)) {}
        printf(" rdrand %llx", r);
    }
    __cpuid_count(7, 0, a, b, c, d);
    if (b & bit_RDSEED) {
        unsigned long long r = 0;
        while (!_rdseed64_step(&r)) {}
        printf(" rdseed %llx", r);
    }
    if (__get_cpuid_max(0, NULL) >= 0xb) {
        __cpuid_count(0xb, 0, a, b, c, d);
        printf(" x2apic %u", d);
    }
    printf("\n");
    fflush(stdout);
}

static void* thread_main(void* arg) {
    report(arg);
    return NULL;
}
#endif

int main(int argc, char** argv) {
#if defined(__x86_64__)
    if (!cpu_can_fault_cpuid()) {
        printf("this CPU cannot make cpuid fault\n");
        PASS();
        return 0;
    }
    if (argc > 1) {  /* the exec'd program */
        report("exec'd");
        return 0;
    }
    report("main");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_main, "thread") == 0);
    CHECK(pthread_join(th, NULL) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        report("child");
        execl("/proc/self/exe", argv[0], "exec", (char*)NULL);
        _exit(127);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#else
    (void)argc;
    (void)argv;
    printf("no cpuid\n");
#endif
    PASS();
    return 0;
}
