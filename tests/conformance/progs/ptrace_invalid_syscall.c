/* syscall(-1) made by a tracer process and by its tracee while the tracer
 * stops it at its syscalls (some test suites mark points with it). Both
 * fail with ENOSYS; the kernel backends' hooks see a -1 at a syscall-entry
 * stop, which is also how a call the recorder skipped looks. */
#include "conf_ptrace.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        long r = syscall(-1);
        _exit(r == -1 && errno == ENOSYS ? 0 : 91);
    }
    int st, stops = 0;
    errno = 0;
    CHECK(syscall(-1) == -1 && errno == ENOSYS);
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD) == 0);
    for (;;) {
        CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st)) break;
        CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80));
        stops++;
        errno = 0;
        CHECK(syscall(-1) == -1 && errno == ENOSYS);
    }
    printf("the tracee's status: %d after %d syscall stops\n", WEXITSTATUS(st), stops);
    CHECK(WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
