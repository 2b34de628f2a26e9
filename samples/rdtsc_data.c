/* rdtsc_data: read-only data that holds the bytes of a counter read, in a
 * program linked without -z separate-code, so that its .rodata shares the
 * executable segment with .text (as binaries built by older toolchains do).
 * A sweep of that whole segment for reads to patch (common/counter_patch.h)
 * would write rp's trap over the data; rp sweeps only the file's code
 * sections. The program checks its table, reads the counter once for real
 * (that one is patched), and says whether the table is intact
 * (tests/integration/rdtsc_patch.sh, under RP_RDTSC=patch). */
#include <stdio.h>
#include <string.h>

/* The table's bytes as they must be, built by the code (a second table in
 * .rodata would be patched alike and compare equal). */
#if defined(__aarch64__)
/* A data word equal to `mrs x0, cntvct_el0` (4-byte aligned, as A64 code). */
static const unsigned int table[] = {0xd503201f, 0xd53be040, 0xd503201f};
static void expect(unsigned char* e) {
    unsigned int w[3] = {0xd503201f, 0xd53be040 ^ 1, 0xd503201f};
    w[1] ^= 1;
    memcpy(e, w, sizeof w);
}
static unsigned long long counter(void) {
    unsigned long long v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
#else
#include <x86intrin.h>
/* 16 one-byte nops bring any linear sweep into step before each pair:
 * rdtsc (0f 31), then rdtscp (0f 01 f9). */
#define NOPS16 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, \
               0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90
static const unsigned char table[] = {NOPS16, 0x0f, 0x31, NOPS16, 0x0f, 0x01, 0xf9, NOPS16};
static void expect(unsigned char* e) {
    memset(e, 0x90, sizeof table);
    e[16] = 0x0f, e[17] = 0x31;
    e[34] = 0x0f, e[35] = 0x01, e[36] = 0xf9;
}
static unsigned long long counter(void) { return __rdtsc(); }
#endif

int main(void) {
    /* Through a volatile pointer: the compiler must read the table. */
    const unsigned char* volatile t = (const unsigned char*)table;
    unsigned char expected[sizeof table];
    expect(expected);
    int intact = memcmp(t, expected, sizeof table) == 0;
    unsigned long long c = counter();
    printf("counter read %s; read-only data %s\n", c ? "done" : "zero",
           intact ? "intact" : "CHANGED");
    return intact ? 0 : 1;
}
