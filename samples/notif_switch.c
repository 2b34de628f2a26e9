/* notif_switch [N]: the main thread makes N getppid calls under a seccomp
 * filter that hands each to a supervisor thread of the same process
 * (SECCOMP_RET_USER_NOTIF), which lets it go on (FLAG_CONTINUE). The main
 * thread waits in the filter, after its syscall instruction and before the
 * kernel's entry tracepoint, while the supervisor runs: under a kernel
 * backend every call is a switch recorded at a syscall's entry, which replay
 * reaches at the call's entry stop (issue 11). Prints N and the parent pid. */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long n = 20;
static int listener = -1;

static void *supervise(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) {
        struct seccomp_notif req;
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
            return (void *)1;
        struct seccomp_notif_resp resp;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0)
            return (void *)1;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) n = strtol(argv[1], NULL, 10);
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return 1;
    listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) {
        perror("seccomp");
        return 1;
    }
    pthread_t sup;
    if (pthread_create(&sup, NULL, supervise, NULL))
        return 1;
    long ppid = 0;
    for (long i = 0; i < n; i++)
        ppid = syscall(SYS_getppid);
    void *failed;
    pthread_join(sup, &failed);
    printf("n=%ld ppid=%ld%s\n", n, ppid, failed ? " (supervisor failed)" : "");
    return 0;
}
