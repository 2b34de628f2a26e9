/* Unbounded recursion overflows the stack; SIGSEGV is taken on an alternate
 * stack and the handler jumps back to main. */
#include "conf.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf back;
static volatile int on_alt;
static void on_segv(int s) {
    (void)s;
    stack_t cur;
    sigaltstack(NULL, &cur);
    on_alt = (cur.ss_flags & SS_ONSTACK) != 0;
    siglongjmp(back, 1);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(volatile char *prev, int depth) {
    volatile char frame[1024];
    frame[0] = prev ? prev[0] + 1 : 0;
    return recurse(frame, depth + 1) + frame[1];
}

int main(void) {
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    CHECK(sigaltstack(&ss, NULL) == 0);
    struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_ONSTACK};
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    if (sigsetjmp(back, 1) == 0) {
        recurse(NULL, 0);
        CHECK(!"recursion returned");
    }
    CHECK(on_alt);
    PASS();
    return 0;
}
