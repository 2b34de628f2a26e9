/* syscall_reentry [N]: N getppid calls through one `syscall` instruction,
 * and after each a branch back to the instruction that follows it (which
 * runs twice). A replay that patches the syscall site (the replay agent,
 * replay/agent/) turns that instruction's start into a filler byte: the
 * branch stops there and must be sent to the instruction's relocated copy.
 * Prints the sum of the results and N. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long calls(long n) {
    long sum = 0, again = 0;
#if defined(__x86_64__)
    if (n <= 0) return 0;
    __asm__ volatile(
        "1:\n\t"
        "mov %[nr], %%eax\n\t"
        "syscall\n\t"
        "2:\n\t"
        "add %%rax, %[sum]\n\t"  /* 3 bytes: inside a 5-byte jump patched at the syscall */
        "xor $1, %[again]\n\t"
        "jnz 2b\n\t"             /* every other pass: into the patched bytes */
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        : [sum] "+r"(sum), [again] "+r"(again), [n] "+r"(n)
        : [nr] "i"(SYS_getppid)
        : "rax", "rcx", "r11", "memory", "cc");
#else
    for (long i = 0; i < n; i++) sum += 2 * syscall(SYS_getppid);
#endif
    return sum;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    printf("sum=%ld n=%ld\n", calls(n), n);
    fflush(stdout);
    return 0;
}
