/* A 64-bit program that makes a 32-bit system call: i386 write(1, buf, 12)
 * through `int $0x80` (x86_64; elsewhere it only says so). Its buffer is in
 * the low 4 GiB, where the i386 call's 32-bit pointer reaches. Recorded, rp
 * must refuse the call in one clear line and the write must not happen
 * (tests/integration/foreign_abi.sh). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void) {
#if defined(__x86_64__)
    char* low = mmap((void*)0x10000000, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (low == MAP_FAILED) return 2;
    strcpy(low, "int80 write\n");
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4L), "b"(1L), "c"(low), "d"(12L) : "memory");
    printf("returned %ld\n", r);
    return 0;
#else
    puts("not x86_64");
    return 3;
#endif
}
