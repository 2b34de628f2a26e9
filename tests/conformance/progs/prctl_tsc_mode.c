/* The program's TSC mode is its own: rp makes rdtsc trap to record it, yet
 * PR_GET_TSC says PR_TSC_ENABLE, as it does without rp, setting that mode
 * again succeeds, and rdtsc keeps working. */
#include "conf.h"
#include <sys/prctl.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

int main(void) {
#if defined(__x86_64__)
    int mode = 99;
    CHECK(prctl(PR_GET_TSC, &mode) == 0);
    printf("tsc mode %d\n", mode);
    CHECK(mode == PR_TSC_ENABLE);
    CHECK(prctl(PR_SET_TSC, PR_TSC_ENABLE) == 0);
    mode = 99;
    CHECK(prctl(PR_GET_TSC, &mode) == 0 && mode == PR_TSC_ENABLE);
    CHECK(prctl(PR_GET_TSC, (void *)8) == -1 && errno == EFAULT);
    unsigned long long a = __rdtsc(), b = __rdtsc();
    printf("tsc read twice: %llu %llu\n", a % 1000, b % 1000);
    CHECK(b >= a);
#endif
    PASS();
    return 0;
}
