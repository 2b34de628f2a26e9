/* rdtsc: reads the time-stamp counter directly (rdtsc and rdtscp), no syscall.
 * rp makes these instructions trap (PR_SET_TSC) and records their values;
 * replay injects them, so the printed cycle counts repeat exactly. On arm64
 * the reads are `mrs Xt, cntvct_el0`, which rp overwrites with a trapping brk
 * when the program is exec'd (common/counter_patch.h). */
#define _GNU_SOURCE
#include <stdio.h>
#if defined(__aarch64__)
/* arm64's counterpart: the virtual counter, readable from user space. Linux
 * does not let a tracer trap it, so rp patches these reads (see
 * docs/design.md "Architectures"). */
static unsigned long long counter(void) {
    unsigned long long v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
#define __rdtsc() counter()
#define __rdtscp(aux) ((void)(aux), counter())
#else
#include <x86intrin.h>
#endif

int main(void) {
    unsigned long long a = __rdtsc();
    unsigned aux;
    unsigned long long b = __rdtscp(&aux);
    printf("tsc=%llu delta=%llu\n", a, b - a);
    fflush(stdout);
    return 0;
}
