/* capget fills a structure; capset drops a capability; capget sees it gone.
 * Version 1 fills one struct of 12 bytes, here the last of its page before
 * an unmapped one (the recorder must not read 24). */
#include "conf.h"
#include <linux/capability.h>
#include <sys/mman.h>
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
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pages != MAP_FAILED && munmap(pages + 4096, 4096) == 0);
    struct __user_cap_data_struct *v1 = (void *)(pages + 4096 - sizeof *v1);
    struct __user_cap_header_struct h1 = {.version = _LINUX_CAPABILITY_VERSION_1};
    CHECK(syscall(SYS_capget, &h1, v1) == 0);
    printf("version 1: effective %08x\n", v1->effective);
    PASS();
    return 0;
}
