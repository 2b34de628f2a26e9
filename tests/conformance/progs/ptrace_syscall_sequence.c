/* A tracer that follows its child's syscall stops with PTRACE_SYSCALL and
 * PTRACE_GET_SYSCALL_INFO, as strace does, over two calls rp itself stops
 * or refuses: sigaction(SIGCHLD, act), which rp's filter stops under the
 * kernel backends (its entry must be reported once), and io_uring_setup,
 * which rp refuses with ENOSYS (its entry must still show the call). The
 * stops must alternate entry, exit and show each call's number. */
#include "conf_ptrace.h"
#include <linux/ptrace.h>
#include <sys/syscall.h>

static void on_chld(int sig) { (void)sig; }

int main(void) {
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_chld;
        syscall(SYS_rt_sigaction, SIGCHLD, &sa, NULL, 8);  /* no restorer: never delivered */
        syscall(SYS_io_uring_setup, 0, NULL);              /* fails, natively or refused */
        syscall(SYS_exit_group, 5);
    }
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void*)PTRACE_O_TRACESYSGOOD) == 0);
    long nrs[3];
    int n = 0;
    int expect = PTRACE_SYSCALL_INFO_ENTRY;
    for (;;) {
        int st;
        CHECK(ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == 0);
        CHECK(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st)) {
            CHECK(WEXITSTATUS(st) == 5);
            break;
        }
        CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80));
        struct ptrace_syscall_info info;
        CHECK(ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void*)sizeof info, &info) > 0);
        CHECK(info.op == expect);
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
            CHECK(n < 3);
            nrs[n++] = (long)info.entry.nr;
            expect = PTRACE_SYSCALL_INFO_EXIT;
        } else {
            expect = PTRACE_SYSCALL_INFO_ENTRY;
        }
    }
    CHECK(n == 3 && nrs[0] == SYS_rt_sigaction && nrs[1] == SYS_io_uring_setup &&
          nrs[2] == SYS_exit_group);
    printf("entries %ld %ld %ld, each with its exit\n", nrs[0], nrs[1], nrs[2]);
    PASS();
    return 0;
}
