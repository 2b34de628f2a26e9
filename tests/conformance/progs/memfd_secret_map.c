/* memfd_secret: a file whose pages only the process that maps it can read
 * (not ptrace, not /proc/PID/mem), so no recorder can capture what it
 * holds. rp refuses the call with ENOSYS while recording, as a kernel
 * without secretmem does (its default); a program falls back then. Where it
 * is granted, the page is written and read back through a shared mapping
 * (replay used to map it as a file that had ended: SIGBUS at the write). */
#include "conf.h"
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

int main(void) {
    int fd = (int)syscall(SYS_memfd_secret, 0);
    if (fd < 0) {
        CHECK(errno == ENOSYS || errno == EPERM || errno == ENOMEM);
        printf("memfd_secret refused (errno %d): plain memory instead\n", errno);
    } else {
        CHECK(ftruncate(fd, 4096) == 0);
        char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(p != MAP_FAILED);
        strcpy(p, "secret");
        CHECK(strcmp(p, "secret") == 0);
        printf("memfd_secret granted: %s\n", p);
    }
    PASS();
    return 0;
}
