/* The classic debugger start: the child asks to be traced and execs; the
 * parent sees the SIGTRAP stop that follows the exec (with waitid), asks
 * for its siginfo, and lets it run to its end. */
#include "conf.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static long marker = 0x5eed;

int main(int argc, char **argv) {
    if (argc > 1) return marker == 0x5eed ? 5 : 6; /* the exec'd program */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(90);
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(91);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WSTOPPED) == 0);
    CHECK(si.si_pid == pid && si.si_code == CLD_TRAPPED && si.si_status == SIGTRAP);
    siginfo_t trap;
    CHECK(ptrace(PTRACE_GETSIGINFO, pid, NULL, &trap) == 0 && trap.si_signo == SIGTRAP);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    PASS();
    return 0;
}
