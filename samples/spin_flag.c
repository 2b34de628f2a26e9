/* spin_flag [WORK [NAPS]]: a thread spins until the main thread sets a flag, counting its
 * passes in memory (`lock incq`), so its registers are the same on every
 * pass of the loop. The main thread sets the flag after a short sleep: to
 * run, it must switch the spinner out part-way through the loop, and under
 * a kernel backend that switch is recorded. Which pass it was is not in the
 * registers: replay must say the point is ambiguous (tests/threads
 * ambiguous_point.sh, docs/design.md "Preemption") rather than diverge later
 * on the printed count.
 * With WORK > 0 the thread first counts to WORK in a register (every pass
 * different) and the main thread sets the flag while it does: the switch is
 * then unambiguous, and the thread's way on from it, run alone, spins
 * forever (the flag is set after the switch): replay must bound that check
 * and replay the program exactly.
 * NAPS (default 1): the main thread sleeps that many times before it sets
 * the flag; each wake-up switches the spinner out in its loop, so all but
 * the last of its switches are followed by another switch, not a syscall. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* On a page of its own: a register pointing at a neighbour (the started
 * pipe's fds) would otherwise take it into the switch's memory digest. */
static volatile unsigned long passes __attribute__((aligned(4096)));
static volatile int stop;
static int started[2];

static unsigned long work;

static void* spin(void* arg) {
    (void)arg;
    if (write(started[1], "s", 1) != 1) return NULL;
    for (unsigned long i = 0; i < work; i++) __asm__ volatile("" : "+r"(i));
#if defined(__x86_64__)
    __asm__ volatile("1: lock incq %0\n\tcmpl $0, %1\n\tje 1b"
                     : "+m"(passes)
                     : "m"(stop)
                     : "cc", "memory");
#elif defined(__aarch64__)
    /* A64 has no store to a pc-relative address: the count's address is
     * made in x9 and cleared again, so that no register points at it where
     * the loop starts over (TCG switches at that block's head). */
    __asm__ volatile("1: adrp x9, passes\n\tadd x9, x9, :lo12:passes\n\t"
                     "ldr x10, [x9]\n\tadd x10, x10, #1\n\tstr x10, [x9]\n\t"
                     "mov x9, xzr\n\tmov x10, xzr\n\t"
                     "adrp x11, stop\n\tldr w11, [x11, :lo12:stop]\n\tcbz w11, 1b"
                     :
                     :
                     : "x9", "x10", "x11", "cc", "memory");
#else
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
        __atomic_fetch_add(&passes, 1, __ATOMIC_RELAXED);
#endif
    return NULL;
}

int main(int argc, char** argv) {
    pthread_t t;
    if (argc > 1) work = strtoul(argv[1], NULL, 10);
    int naps = argc > 2 ? atoi(argv[2]) : 1;
    char c;
    if (pipe(started) != 0 || pthread_create(&t, NULL, spin, NULL) != 0) return 1;
    if (read(started[0], &c, 1) != 1) return 1;  /* the spinner is about to spin */
    struct timespec ts = {0, (work ? 5 : 20) * 1000 * 1000};
    for (int i = 0; i < naps; i++) nanosleep(&ts, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    printf("%lu passes\n", (unsigned long)passes);
    return 0;
}
