/* SIGSEGV blocked stays blocked: across an execve (ld.so's start-up reads
 * the time-stamp counter, which a recorder may trap with a forced SIGSEGV)
 * and across the program's own counter reads (rdtsc; cntvct_el0 on arm64). */
#include "conf.h"
#include <signal.h>
#if defined(__x86_64__)
#include <x86intrin.h>
static unsigned long long counter(void) { return __rdtsc(); }
#else
static unsigned long long counter(void) {
    unsigned long long v;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
#endif

static int segv_blocked(void) {
    sigset_t now;
    CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0);
    return sigismember(&now, SIGSEGV);
}

int main(int argc, char **argv) {
    if (argc == 1) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        CHECK(sigprocmask(SIG_SETMASK, &s, NULL) == 0);
        unsigned long long t0 = counter();
        CHECK(segv_blocked());
        printf("blocked after a counter read: yes (%d)\n", t0 != 0);
        fflush(stdout);
        char *again[] = {argv[0], "exec", NULL};
        execv("/proc/self/exe", again);
        CHECK(!"execv");
    }
    CHECK(segv_blocked());
    unsigned long long t1 = counter();
    CHECK(segv_blocked());
    printf("blocked after the execve: yes (%d)\n", t1 != 0);
    PASS();
    return 0;
}
