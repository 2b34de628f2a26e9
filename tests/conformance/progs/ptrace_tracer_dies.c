/* A tracer that dies while its tracee is held in a signal-delivery stop:
 * the kernel detaches the tracee, which runs on (Linux 6 drops the held
 * signal; the program prints which happened, and replay must print the
 * same). The grandparent, a child subreaper, collects the orphaned tracee. */
#include "conf.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_usr1(int sig) { (void)sig; got = 1; }

int main(void) {
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    pid_t tracer = fork();
    CHECK(tracer >= 0);
    if (tracer == 0) {
        pid_t pid = fork();
        if (pid < 0) _exit(80);
        if (pid == 0) {
            signal(SIGUSR1, on_usr1);
            if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
            raise(SIGUSR1);
            _exit(got ? 7 : 8);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGUSR1) _exit(81);
        _exit(0); /* without resuming it */
    }
    int st;
    CHECK(waitpid(tracer, &st, 0) == tracer && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pid_t orphan = wait(&st);
    CHECK(orphan > 0 && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 7 || WEXITSTATUS(st) == 8);
    printf("the held signal was %s\n", WEXITSTATUS(st) == 7 ? "delivered" : "dropped");
    PASS();
    return 0;
}
