/* The init of a pid namespace that faults dies of it (SIGSEGV), as any
 * process does, though other signals' default actions skip it: with no
 * handler, and with a handler while SIGSEGV is blocked (the kernel forces
 * the fault's signal open and resets the handler). One namespace each. */
#include "conf.h"
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static void on_segv(int s) { (void)s; _exit(90); }

static int fault_as_init(int blocked) {
    pid_t outer = fork();  /* each namespace from a process of its own */
    CHECK(outer >= 0);
    if (outer == 0) {
        CHECK(unshare(CLONE_NEWPID) == 0);
        pid_t init = fork();
        CHECK(init >= 0);
        if (init == 0) {
            if (getpid() != 1) _exit(80);
            if (blocked) {
                signal(SIGSEGV, on_segv);
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, SIGSEGV);
                sigprocmask(SIG_BLOCK, &s, NULL);
            }
            *(volatile int *)0 = 1;
            _exit(81);
        }
        int st;
        CHECK(waitpid(init, &st, 0) == init);
        _exit(WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st));
    }
    int st;
    CHECK(waitpid(outer, &st, 0) == outer && WIFEXITED(st));
    return WEXITSTATUS(st);
}

int main(void) {
    for (int blocked = 0; blocked <= 1; blocked++) {
        int got = fault_as_init(blocked);
        printf("init faulting%s: %s %d\n", blocked ? " with SIGSEGV blocked" : "",
               got > 100 ? "killed by" : "exit", got > 100 ? got - 100 : got);
        CHECK(got == 100 + SIGSEGV);
    }
    PASS();
    return 0;
}
