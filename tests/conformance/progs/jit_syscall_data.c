/* Code written at run time (a JIT's) that makes a syscall, with data right
 * after its `syscall; ret` in the same page: the program reads those bytes
 * back, and its code bytes too. Replay's agent must not patch such a site
 * (its jump would cover the bytes after the syscall), so the program sees
 * exactly what it wrote. Called twice: replay decides a site's patch at its
 * first call and the second goes through whatever it decided. */
#include "conf.h"
#include <sys/mman.h>
#include <sys/syscall.h>

int main(void) {
#if defined(__x86_64__)
    static const unsigned char code[] = {
        0xb8, SYS_getpid, 0, 0, 0, /* mov eax, SYS_getpid */
        0x0f, 0x05,                /* syscall */
        0xc3,                      /* ret */
        'J', 'I', 'T', 'd', 'a', 't', 'a', 0};
    unsigned char* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    memcpy(page, code, sizeof code);
    long (*call)(void) = (long (*)(void))page;
    for (int i = 0; i < 2; i++) {
        CHECK(call() == getpid());
        CHECK(memcmp(page, code, sizeof code) == 0);
    }
    printf("data after the syscall: %s\n", (const char*)page + 8);
#endif
    PASS();
    return 0;
}
