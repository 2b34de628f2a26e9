/* shmdt of a System V segment the program unmapped in part: the kernel
 * detaches what is left of the attach at that address, its first page gone
 * or a page in its middle. Each time the whole range is free after it. */
#include "conf.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

static int mapped(char *p, long len) {
    unsigned char v[8];
    return mincore(p, len, v) == 0;
}

static void detach_after_unmap(int id, long pg, long hole) {
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1);
    CHECK(p[0] == 'a' && p[2 * pg] == 'c');
    CHECK(munmap(p + hole * pg, pg) == 0);
    CHECK(!mapped(p + hole * pg, pg));
    CHECK(shmdt(p) == 0);
    for (int i = 0; i < 3; i++) CHECK(!mapped(p + i * pg, pg));
    /* Free indeed: a new mapping fits there without replacing anything. */
    char *q = mmap(p, 3 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(q == p && munmap(q, 3 * pg) == 0);
    printf("page %ld unmapped, detached: the 3 pages are free\n", hole);
}

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    int id = shmget(IPC_PRIVATE, 3 * pg, IPC_CREAT | 0600);
    CHECK(id >= 0);
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1);
    for (int i = 0; i < 3; i++) p[i * pg] = 'a' + i;
    CHECK(shmdt(p) == 0);
    detach_after_unmap(id, pg, 0);
    detach_after_unmap(id, pg, 1);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    PASS();
    return 0;
}
