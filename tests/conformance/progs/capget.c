/* capget fills a structure; capset drops a capability; capget sees it gone. */
#include "conf.h"
#include <linux/capability.h>
#include <sys/syscall.h>

int main(void) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    memset(d, 0xee, sizeof d);
    CHECK(syscall(SYS_capget, &h, d) == 0);
    printf("effective %08x\n", d[0].effective);
    d[0].effective &= ~(1u << CAP_NET_RAW);
    CHECK(syscall(SYS_capset, &h, d) == 0);
    struct __user_cap_data_struct again[2];
    memset(again, 0x11, sizeof again);
    CHECK(syscall(SYS_capget, &h, again) == 0);
    CHECK(!(again[0].effective & (1u << CAP_NET_RAW)));
    /* A version probe: the kernel writes its preferred version into the header. */
    struct __user_cap_header_struct probe = {.version = 0};
    syscall(SYS_capget, &probe, NULL);
    CHECK(probe.version == _LINUX_CAPABILITY_VERSION_3);
    PASS();
    return 0;
}
