/* SIGXCPU after RLIMIT_CPU's 1 s of user-code spinning: the signal arrives
 * in a loop billions of passes after the thread's last syscall (the loop
 * counts in a register, so the pass is known by its registers). Replay must
 * find that pass, beyond the search's fixed 10^9 passes, since the
 * recording shows the thread ran that long. The count differs from run to
 * run. Replay runs the loop ~5x slower than the recording, checking for the
 * pass (2 s here took 10-15 s to replay, and over a minute in CI alongside
 * the QEMU tests): 1 s still makes billions of passes. */
/* Built at -O2 (the suite builds at -O0, which keeps the count on the stack,
 * where every pass has the same registers). */
#pragma GCC optimize("O2")
#include "conf.h"
#include <signal.h>
#include <sys/resource.h>

static volatile sig_atomic_t got;

static void on_xcpu(int sig) { got = sig; }

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_xcpu;
    CHECK(sigaction(SIGXCPU, &sa, NULL) == 0);
    struct rlimit rl = {1, RLIM_INFINITY};
    CHECK(setrlimit(RLIMIT_CPU, &rl) == 0);
    unsigned long passes = 0;
    while (!got) {
        passes++;
        __asm__ volatile("" : "+r"(passes)); /* in a register at every pass */
    }
    CHECK(got == SIGXCPU);
    printf("SIGXCPU after %lu passes (more than 10^9: %s)\n", passes,
           passes > 1000000000UL ? "yes" : "no");
    PASS();
    return 0;
}
