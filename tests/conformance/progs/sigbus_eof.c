/* A mapping past the end of a short file: touching the page past EOF raises
 * SIGBUS, every time; the handler jumps back. */
#include "conf.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf back;
static volatile int buses;
static void on_bus(int s) { (void)s; buses++; siglongjmp(back, 1); }

int main(void) {
    int fd = conf_temp_file();
    CHECK(write(fd, "short", 5) == 5);
    volatile char *m = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    CHECK(m[0] == 's' && m[100] == 0);
    signal(SIGBUS, on_bus);
    for (int i = 0; i < 3; i++) {
        if (sigsetjmp(back, 1) == 0) {
            (void)m[4096 + i];
            CHECK(!"no SIGBUS past the end of the file");
        }
    }
    CHECK(buses == 3);
    PASS();
    return 0;
}
