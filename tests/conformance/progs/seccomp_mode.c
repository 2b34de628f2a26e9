/* PR_GET_SECCOMP says 0 until the program installs a filter of its own,
 * then 2: rp's own filter (kernel backends) must not show. */
#include "conf.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

int main(void) {
    int before = prctl(PR_GET_SECCOMP);
    printf("mode before a filter: %d\n", before);
    CHECK(before == 0);
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0);
    int after = prctl(PR_GET_SECCOMP);
    printf("mode after its filter: %d\n", after);
    CHECK(after == 2);
    PASS();
    return 0;
}
