/* Syscalls made from code in a file mapped shared and read only, two bytes
 * long: the instruction after them (on the same page, past the two bytes
 * mapped) is the file's too. One of them sets the stack limit, which replay
 * runs for real in the program, from that same code. */
#include "conf.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
static const unsigned char code[] = {0x0f, 0x05, 0xc3};  /* syscall; ret */
#elif defined(__aarch64__)
static const unsigned char code[] = {0x01, 0x00, 0x00, 0xd4,   /* svc #0 */
                                     0xc0, 0x03, 0x5f, 0xd6};  /* ret */
#endif

static long (*call)(long, long, long, long);

/* call(nr, a, b, c): the code's syscall with those arguments. */
static long shared_syscall(long nr, long a, long b, long c) {
#if defined(__x86_64__)
    long ret;
    /* The call's return address goes below the red zone, not into it. */
    __asm__ volatile("sub $128, %%rsp\n\tcall *%[fn]\n\tadd $128, %%rsp"
                     : "=a"(ret)
                     : [fn] "r"(call), "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("blr %[fn]"
                     : "+r"(x0)
                     : [fn] "r"(call), "r"(x1), "r"(x2), "r"(x8)
                     : "x30", "memory");
    return x0;
#endif
}

int main(void) {
    int fd = conf_temp_file();
    CHECK(write(fd, code, sizeof code) == (ssize_t)sizeof code);
    call = mmap(NULL, 2, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    CHECK(call != MAP_FAILED);
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_STACK, &rl) == 0);
    rl.rlim_cur = 4 << 20;
    CHECK(shared_syscall(SYS_setrlimit, RLIMIT_STACK, (long)&rl, 0) == 0);
    CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 4 << 20);
    static const char msg[] = "written from shared code\n";
    fflush(stdout);
    CHECK(shared_syscall(SYS_write, 1, (long)msg, sizeof msg - 1) == sizeof msg - 1);
    PASS();
    return 0;
}
