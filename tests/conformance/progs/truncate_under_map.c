/* A file mapped shared, then privately, is truncated under its mappings:
 * the pages past the new end raise SIGBUS (the private copy's too, written
 * or not), those before it stay; grown again, the file reads zeros there
 * through both and takes writes through the shared mapping. */
#include "conf.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf back;
static volatile int buses;
static void on_bus(int s) { (void)s; buses++; siglongjmp(back, 1); }

static int faults(volatile char *p) {
    int before = buses;
    if (sigsetjmp(back, 1) == 0) (void)*p;
    return buses - before;
}

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    int fd = conf_temp_file();
    char buf[3 * 4096];
    memset(buf, 'x', sizeof buf);
    CHECK(write(fd, buf, 3 * pg) == 3 * pg);
    volatile char *s = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    volatile char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(s != MAP_FAILED && p != MAP_FAILED);
    p[2 * pg] = 'p';  /* a private copy of the last page */
    signal(SIGBUS, on_bus);
    CHECK(ftruncate(fd, pg + 10) == 0);
    CHECK(faults(s) == 0 && faults(s + pg) == 0 && s[pg + 9] == 'x' && s[pg + 10] == 0);
    CHECK(faults(s + 2 * pg) == 1 && faults(s + 2 * pg + 7) == 1);
    CHECK(faults(p + pg) == 0 && faults(p + 2 * pg) == 1);
    CHECK(ftruncate(fd, 3 * pg) == 0);
    CHECK(faults(s + 2 * pg) == 0 && s[2 * pg] == 0 && p[2 * pg] == 0);
    s[2 * pg + 1] = 'y';
    char c = 0;
    CHECK(pread(fd, &c, 1, 2 * pg + 1) == 1 && c == 'y' && p[2 * pg + 1] == 'y');
    CHECK(buses == 3);
    PASS();
    return 0;
}
