/* prctl's capability setters, which need privileges (as root: they
 * succeed): secure bits, the ambient set, the bounding set. Each result is
 * printed, whatever it is, and the getters must agree with the setters. */
#include "conf.h"
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void run(void) {
    int bits = prctl(PR_GET_SECUREBITS);
    int set = prctl(PR_SET_SECUREBITS, bits | SECBIT_KEEP_CAPS);
    printf("securebits %d, set keep-caps: %d\n", bits, set);
    if (set == 0) CHECK(prctl(PR_GET_SECUREBITS) == (bits | SECBIT_KEEP_CAPS));
    /* CAP_CHOWN inheritable, so that it may be raised into the ambient set. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    CHECK(syscall(SYS_capget, &h, d) == 0);
    d[0].inheritable |= 1u << CAP_CHOWN;
    int capset_ok = syscall(SYS_capset, &h, d) == 0;
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0);
    int raised = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0);
    int is_set = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0);
    printf("capset %d, ambient raise %d, is set %d\n", capset_ok, raised, is_set);
    CHECK(raised != 0 || is_set == 1);
    if (raised == 0) {
        CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 0, 0) == 0);
        CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) == 0);
    }
    int dropped = prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN);
    int kept = prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN);
    printf("bounding set: drop %d, still there %d\n", dropped, kept);
    CHECK(dropped != 0 || kept == 0);
}

int main(void) {
    pid_t pid = fork();  /* the caller keeps its own capabilities */
    CHECK(pid >= 0);
    if (pid == 0) {
        run();
        fflush(stdout);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
