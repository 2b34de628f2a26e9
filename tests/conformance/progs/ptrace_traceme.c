/* A program that debugs its child: PTRACE_TRACEME, a stop, PEEKDATA of a
 * known variable, POKEDATA, then continue. */
#include "conf_ptrace.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static long marker = 0x1234567;

int main(void) {
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        _exit(marker == 0x7654321 ? 0 : 91);
    }
    int st;
    errno = 0;
    long v = ptrace(PTRACE_PEEKDATA, pid, &marker, NULL);
    CHECK(errno == 0 && v == 0x1234567);
    CHECK(ptrace(PTRACE_POKEDATA, pid, &marker, (void *)0x7654321L) == 0);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
