/* A syscall leaves its argument registers as they were (only the result
 * register and, on x86_64, rcx/r11 change). Replay runs some calls in a
 * rewritten form (a file mmap becomes an anonymous one at the recorded
 * address): the program must still find its own arguments afterwards, as a
 * thread switch recorded right after the call compares every register. */
#include "conf.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static void mmap_keeps_args(const unsigned long a[6]) {
    unsigned long ret;
#if defined(__x86_64__)
    register unsigned long r10 __asm__("r10") = a[3];
    register unsigned long r8 __asm__("r8") = a[4];
    register unsigned long r9 __asm__("r9") = a[5];
    unsigned long rdi = a[0], rsi = a[1], rdx = a[2];
    __asm__ volatile("syscall"
                     : "=a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : "a"((unsigned long)SYS_mmap)
                     : "rcx", "r11", "memory");
    unsigned long after[6] = {rdi, rsi, rdx, r10, r8, r9};
#elif defined(__aarch64__)
    register unsigned long x0 __asm__("x0") = a[0];
    register unsigned long x1 __asm__("x1") = a[1];
    register unsigned long x2 __asm__("x2") = a[2];
    register unsigned long x3 __asm__("x3") = a[3];
    register unsigned long x4 __asm__("x4") = a[4];
    register unsigned long x5 __asm__("x5") = a[5];
    register unsigned long x8 __asm__("x8") = SYS_mmap;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     : "r"(x8)
                     : "memory");
    ret = x0;
    unsigned long after[6] = {0, x1, x2, x3, x4, x5};
#endif
    CHECK(ret < (unsigned long)-4096);
    for (int i = 1; i < 6; i++) {
        printf("arg %d: %#lx\n", i, after[i]);
        CHECK(after[i] == a[i]);
    }
}

int main(void) {
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    const unsigned long file[6] = {0, 4096, PROT_READ, MAP_PRIVATE, (unsigned long)fd, 0};
    const unsigned long anon[6] = {0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                   (unsigned long)-1, 0};
    mmap_keeps_args(file);
    mmap_keeps_args(anon);
    PASS();
    return 0;
}
