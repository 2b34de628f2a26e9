/* Files mapped beyond their end before they grow: the pages past the end
 * raise SIGBUS, then once the file grows under the mappings (ftruncate, a
 * write past the end, after an mremap too) the same pages read and take
 * writes, shared and private. */
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
    signal(SIGBUS, on_bus);
    /* An empty file, mapped private and shared, grown by ftruncate. */
    int fd = conf_temp_file();
    volatile char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    volatile char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED && s != MAP_FAILED);
    CHECK(faults(p) == 1 && faults(s + pg) == 1);
    CHECK(ftruncate(fd, pg) == 0);
    s[1] = 's';
    p[0] = 'p';  /* a private copy, taken after the shared write */
    CHECK(p[1] == 's' && s[0] == 0 && faults(p + pg) == 1 && faults(s + pg) == 1);
    /* A write past the end grows it over the second page. */
    char buf[4096];
    memset(buf, 'w', sizeof buf);
    CHECK(pwrite(fd, buf, 100, pg + 50) == 100);
    CHECK(faults(s + pg) == 0 && s[pg + 50] == 'w' && s[pg + 49] == 0 && p[pg + 149] == 'w');
    /* A one-page file mapped shared, grown by mremap past the end, then by
     * ftruncate under the grown part. */
    int fd2 = conf_temp_file();
    CHECK(write(fd2, buf, pg) == pg);
    volatile char *m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
    CHECK(m != MAP_FAILED);
    m = mremap((void *)m, pg, 3 * pg, MREMAP_MAYMOVE);
    CHECK(m != MAP_FAILED && m[0] == 'w' && faults(m + pg) == 1);
    CHECK(ftruncate(fd2, 3 * pg) == 0);
    m[2 * pg] = 'y';
    char c = 0;
    CHECK(faults(m + pg) == 0 && pread(fd2, &c, 1, 2 * pg) == 1 && c == 'y');
    printf("faults: %d\n", buses);
    CHECK(buses == 5);
    PASS();
    return 0;
}
