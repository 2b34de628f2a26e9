/* A syscall leaves its argument registers as they were (only the result
 * register and, on x86_64, rcx/r11 change). Replay runs some calls in a
 * rewritten form: mmap at the recorded address (a file mapping as anonymous
 * memory), shmat and shmdt as mmap and munmap, a clone into namespaces
 * without the namespace flags. The program must still find its own argument
 * registers afterwards, in the parent and in a clone's child, as a thread
 * switch recorded right after the call compares every register. Each call is
 * made with inline asm and the six argument registers are read right after
 * the syscall instruction (on arm64 x0 is the result: x1-x5). Registers a
 * call does not read hold marker values: replay's rewrite must not leak
 * into those either. */
#include "conf.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MARK(i) (0x5a5a5a5a00000000UL + (i))

#if defined(__x86_64__)
enum { FIRST_KEPT = 0 };
static unsigned long raw_call(long nr, const unsigned long a[6], unsigned long after[6]) {
    register unsigned long r10 __asm__("r10") = a[3];
    register unsigned long r8 __asm__("r8") = a[4];
    register unsigned long r9 __asm__("r9") = a[5];
    unsigned long ret = (unsigned long)nr, rdi = a[0], rsi = a[1], rdx = a[2];
    __asm__ volatile("syscall"
                     : "+a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    after[0] = rdi, after[1] = rsi, after[2] = rdx, after[3] = r10, after[4] = r8, after[5] = r9;
    return ret;
}
#elif defined(__aarch64__)
enum { FIRST_KEPT = 1 };  /* x0 is the result */
static unsigned long raw_call(long nr, const unsigned long a[6], unsigned long after[6]) {
    register unsigned long x0 __asm__("x0") = a[0];
    register unsigned long x1 __asm__("x1") = a[1];
    register unsigned long x2 __asm__("x2") = a[2];
    register unsigned long x3 __asm__("x3") = a[3];
    register unsigned long x4 __asm__("x4") = a[4];
    register unsigned long x5 __asm__("x5") = a[5];
    register unsigned long x8 __asm__("x8") = (unsigned long)nr;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     : "r"(x8)
                     : "memory");
    after[0] = x0, after[1] = x1, after[2] = x2, after[3] = x3, after[4] = x4, after[5] = x5;
    return x0;
}
#else
#error "x86_64 and arm64 only"
#endif

/* Makes the call and checks its argument registers; _exit, not exit: a
 * clone's child shares the parent's unflushed stdio buffers. */
static unsigned long call_keeps_args(const char *what, long nr, const unsigned long a[6]) {
    unsigned long after[6];
    unsigned long ret = raw_call(nr, a, after);
    for (int i = FIRST_KEPT; i < 6; i++) {
        if (after[i] == a[i]) continue;
        fprintf(stderr, "%s: argument register %d is %#lx after the call, it was %#lx\n", what, i,
                after[i], a[i]);
        _exit(1);
    }
    return ret;
}

static void mmap_keeps_args(void) {
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    const unsigned long file[6] = {0, 4096, PROT_READ, MAP_PRIVATE, (unsigned long)fd, 0};
    const unsigned long anon[6] = {0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                   (unsigned long)-1, 0};
    CHECK(call_keeps_args("mmap of a file", SYS_mmap, file) < (unsigned long)-4096);
    CHECK(call_keeps_args("anonymous mmap", SYS_mmap, anon) < (unsigned long)-4096);
    close(fd);
}

static void sysv_shm_keeps_args(void) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    CHECK(id >= 0);
    const unsigned long attach[6] = {(unsigned long)id, 0, 0, MARK(3), MARK(4), MARK(5)};
    unsigned long addr = call_keeps_args("shmat", SYS_shmat, attach);
    CHECK(addr < (unsigned long)-4096);
    const unsigned long detach[6] = {addr, MARK(1), MARK(2), MARK(3), MARK(4), MARK(5)};
    CHECK(call_keeps_args("shmdt", SYS_shmdt, detach) == 0);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
}

/* Both sides return from the same syscall instruction: the child checks
 * its registers too. */
static void clone_keeps_args(void) {
    const unsigned long args[6] = {CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0, MARK(5)};
    fflush(stdout);
    long pid = (long)call_keeps_args("clone into a new UTS namespace", SYS_clone, args);
    if (pid == 0) _exit(0);
    CHECK(pid > 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void) {
    mmap_keeps_args();
    sysv_shm_keeps_args();
    clone_keeps_args();
    PASS();
    return 0;
}
