/* rdtsc: reads the time-stamp counter directly (rdtsc and rdtscp), no syscall.
 * rp makes these instructions trap (PR_SET_TSC) and records their values;
 * replay injects them, so the printed cycle counts repeat exactly. */
#define _GNU_SOURCE
#include <stdio.h>
#include <x86intrin.h>

int main(void) {
    unsigned long long a = __rdtsc();
    unsigned aux;
    unsigned long long b = __rdtscp(&aux);
    printf("tsc=%llu delta=%llu\n", a, b - a);
    fflush(stdout);
    return 0;
}
