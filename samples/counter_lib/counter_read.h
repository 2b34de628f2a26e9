/* The counter read of the counter_lib sample's libraries: arm64's
 * `mrs Xt, cntvct_el0` (patched by rp when the library is mapped), x86_64's
 * rdtsc (trapped for the whole process). */
#pragma once
#if defined(__aarch64__)
static inline unsigned long long read_counter(void) {
    unsigned long long v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
#else
#include <x86intrin.h>
static inline unsigned long long read_counter(void) { return __rdtsc(); }
#endif

/* n reads in a loop; the sum of their values (each differs run to run). */
unsigned long long counter_sum(int n);
