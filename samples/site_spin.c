/* site_spin [N]: forks a child that spins as long, so that a kernel
 * backend records the parent's switches (it records none for a program
 * that never interleaves with another); then makes one syscall (getppid)
 * followed by a 2-byte and a 1-byte instruction, and counts N (default
 * 1000000000) down in a loop right after them, at `site_spin_loop`
 * (address printed). Replay's agent patches that syscall site over the
 * syscall and those two, so the loop's first instruction is one past the
 * start of an instruction inside the patched bytes: a switch recorded there
 * is searched with a hardware breakpoint that stops where an int3 filler's
 * trap would (tests/threads/site_spin.sh). The nop in the loop makes
 * switches land at its first instruction too. x86_64 only. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
extern char site_spin_loop[];

int main(int argc, char **argv) {
    long left = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000000;
    printf("loop at %p\n", (void *)site_spin_loop);
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        for (volatile long i = left; i > 0; i--) {
        }
        _exit(0);
    }
    __asm__ volatile(
        "mov $110, %%eax\n\t"  // getppid
        "syscall\n\t"
        "xchg %%ax, %%ax\n\t"  // 2 bytes
        "nop\n\t"              // 1 byte: the 5 bytes the agent's jump takes
        ".globl site_spin_loop\n"
        "site_spin_loop:\n\t"
        "dec %%rdx\n\t"
        "nop\n\t"
        "jnz site_spin_loop\n\t"
        : "+d"(left)
        :
        : "rax", "rcx", "r11", "memory", "cc");
    int status;
    if (waitpid(child, &status, 0) != child) return 1;
    printf("done\n");
    return 0;
}
#else
int main(void) {
    fprintf(stderr, "site_spin: x86_64 only\n");
    return 77;
}
#endif
