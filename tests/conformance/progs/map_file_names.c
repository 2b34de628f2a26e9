/* Mappings of one file reached by several names and descriptors in one
 * process show each other's writes: a reopen through /proc/self/fd, a name
 * after rename, a hard link; a private mapping shows the file's changes
 * until its page is written. A file made anew at an unlinked name is
 * another file; ftruncate and O_TRUNC zero what they cut. */
#include "conf.h"
#include <fcntl.h>
#include <sys/mman.h>

static char *map(int fd, int prot, int flags) {
    char *m = mmap(NULL, 8192, prot, flags, fd, 0);
    CHECK(m != MAP_FAILED);
    return m;
}

int main(void) {
    char a[64], b[64], l[64];
    snprintf(a, sizeof a, "/tmp/rp-conf-names-a.%d", getpid());
    snprintf(b, sizeof b, "/tmp/rp-conf-names-b.%d", getpid());
    snprintf(l, sizeof l, "/tmp/rp-conf-names-l.%d", getpid());
    int fd = open(a, O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
    char *m1 = map(fd, PROT_READ | PROT_WRITE, MAP_SHARED);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    int again = open(self, O_RDWR);
    CHECK(again >= 0);
    char *m2 = map(again, PROT_READ, MAP_SHARED);
    m1[10] = 'x';
    CHECK(m2[10] == 'x');

    char *priv = map(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    priv[4096] = 'p';  /* its second page is its own from now on */
    CHECK(pwrite(fd, "WW", 2, 20) == 2 && pwrite(fd, "V", 1, 4097) == 1);
    CHECK(priv[20] == 'W' && m2[21] == 'W' && priv[4097] == 0 && m1[4097] == 'V');

    CHECK(rename(a, b) == 0);
    int by_new_name = open(b, O_RDWR);
    CHECK(by_new_name >= 0);
    char *m3 = map(by_new_name, PROT_READ, MAP_SHARED);
    CHECK(link(b, l) == 0);
    int by_link = open(l, O_RDWR);
    CHECK(by_link >= 0);
    char *m4 = map(by_link, PROT_READ, MAP_SHARED);
    m1[30] = 'y';
    CHECK(m3[30] == 'y' && m4[30] == 'y' && m3[10] == 'x');

    CHECK(unlink(b) == 0);
    int fresh = open(b, O_CREAT | O_RDWR, 0600);
    CHECK(fresh >= 0 && ftruncate(fresh, 8192) == 0);
    char *other = map(fresh, PROT_READ | PROT_WRITE, MAP_SHARED);
    other[40] = 'o';
    CHECK(m1[40] == 0 && other[10] == 0);

    CHECK(ftruncate(fd, 16) == 0 && ftruncate(fd, 8192) == 0);
    CHECK(m1[10] == 'x' && m3[30] == 0 && m4[4097] == 0);
    int trunc = open(l, O_RDWR | O_TRUNC);
    CHECK(trunc >= 0 && ftruncate(trunc, 8192) == 0);
    CHECK(m2[10] == 0 && other[40] == 'o');
    CHECK(unlink(b) == 0 && unlink(l) == 0);
    PASS();
    return 0;
}
