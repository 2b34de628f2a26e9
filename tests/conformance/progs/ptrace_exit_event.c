/* A tracer with PTRACE_O_TRACEEXIT: its children stop on their way out
 * (PTRACE_EVENT_EXIT), the exit status as the event's message, their
 * registers still readable; resumed, they die and the tracer reaps them.
 * One exits, one is killed by a signal; one is seized with the option, one
 * attached and given it by PTRACE_SETOPTIONS. */
#include "conf.h"
#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

static void trace_exit(int seize, int killed) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(90);
        if (killed) raise(SIGTERM);
        _exit(77);
    }
    int st;
    long opts = PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD;
    if (seize) {
        CHECK(ptrace(PTRACE_SEIZE, pid, NULL, (void *)opts) == 0);
    } else {
        CHECK(ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
        CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)opts) == 0);
        CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    }
    CHECK(write(go[1], "g", 1) == 1);
    if (killed) {  /* first the signal's delivery stop, passed on */
        CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTERM);
        CHECK(ptrace(PTRACE_CONT, pid, NULL, (void *)SIGTERM) == 0);
    }
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)));
    unsigned long msg = 0;
    CHECK(ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) == 0);
    CHECK(killed ? msg == SIGTERM : msg == 77 << 8);
    siginfo_t si;
    CHECK(ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0);
    CHECK(si.si_signo == SIGTRAP && si.si_code == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)));
    struct user_regs_struct regs;
    struct iovec v = {&regs, sizeof regs};
    CHECK(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &v) == 0 && v.iov_len == sizeof regs);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(killed ? WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM : WIFEXITED(st) && WEXITSTATUS(st) == 77);
    printf("%s child %s: exit event message %#lx\n", seize ? "seized" : "attached",
           killed ? "killed" : "exited", msg);
    close(go[0]);
    close(go[1]);
}

int main(void) {
    trace_exit(1, 0);
    trace_exit(0, 0);
    trace_exit(1, 1);
    PASS();
    return 0;
}
