/* A seccomp filter: uname gets EPERM (RET_ERRNO), getppid raises SIGSYS
 * (RET_TRAP) whose handler sees the syscall number; the rest is allowed. */
#include "conf.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

static volatile int trapped_nr = -1;
static void on_sys(int s, siginfo_t *si, void *ctx) { (void)s; (void)ctx; trapped_nr = si->si_syscall; }

int main(void) {
    struct sigaction sa = {.sa_sigaction = on_sys, .sa_flags = SA_SIGINFO};
    CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0);
    struct utsname u;
    CHECK(uname(&u) == -1 && errno == EPERM);
    syscall(SYS_getppid);
    CHECK(trapped_nr == SYS_getppid);
    CHECK(prctl(PR_GET_SECCOMP) == 2);
    PASS();
    return 0;
}
