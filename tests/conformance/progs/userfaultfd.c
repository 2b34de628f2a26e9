/* userfaultfd: rp refuses it (ENOSYS) while recording, as rr does; a program
 * falls back when it is not there. Either way the replay must agree. */
#include "conf.h"
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

int main(void) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
    if (fd < 0) {
        printf("userfaultfd unavailable: %s\n", errno == ENOSYS ? "ENOSYS" : "other");
    } else {
        struct uffdio_api api = {.api = UFFD_API};
        CHECK(ioctl(fd, UFFDIO_API, &api) == 0);
        printf("userfaultfd api %llx\n", (unsigned long long)api.api);
        close(fd);
    }
    PASS();
    return 0;
}
