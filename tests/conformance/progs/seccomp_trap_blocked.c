/* A seccomp filter's SIGSYS (RET_TRAP) is forced: where the thread blocks
 * or ignores SIGSYS, the kernel unblocks it and resets its handler, and the
 * thread dies of it; where a handler may run, it runs. One child each. */
#include "conf.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile int trapped;
static void on_sys(int s) { (void)s; trapped = 1; }

enum { kBlocked, kIgnored, kHandled };

static void trap_getppid(int how) {
    if (how == kIgnored) signal(SIGSYS, SIG_IGN);
    else signal(SIGSYS, on_sys);
    if (how == kBlocked) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSYS);
        CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
    }
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0);
    syscall(SYS_getppid);
}

int main(void) {
    const char *names[] = {"blocked", "ignored", "handled"};
    for (int how = kBlocked; how <= kHandled; how++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            trap_getppid(how);
            _exit(trapped ? 10 : 11);
        }
        int st;
        CHECK(waitpid(pid, &st, 0) == pid);
        printf("SIGSYS %s: %s %d\n", names[how], WIFSIGNALED(st) ? "killed by" : "exit",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        if (how == kHandled) CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 10);
        else CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
    }
    PASS();
    return 0;
}
