/* A file mapped shared is one file for every process: a child's writes,
 * through its mapping or with pwrite on a descriptor it opened by name,
 * show in its parent's mapping; a named semaphore (sem_open: a /dev/shm
 * file mapped shared) wakes across fork; /dev/zero mapped shared is shared
 * with the child but two such mappings are not one another. */
#include "conf.h"
#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void wait_child(pid_t pid) {
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void memfd_before_fork(void) {
    int fd = memfd_create("procs", 0);
    CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
    volatile char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { m[5000] = 'c'; CHECK(pwrite(fd, "pw", 2, 100) == 2); _exit(0); }
    wait_child(pid);
    CHECK(m[5000] == 'c' && m[100] == 'p' && m[101] == 'w');
}

static void named_file_opened_by_child(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/rp-conf-procs.%d", getpid());
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
    volatile char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int own = open(path, O_RDWR);
        CHECK(own >= 0 && pwrite(own, "from-child", 10, 200) == 10);
        char *mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
        CHECK(mine != MAP_FAILED);
        mine[300] = 'M';
        _exit(0);
    }
    wait_child(pid);
    CHECK(memcmp((const char *)m + 200, "from-child", 10) == 0 && m[300] == 'M');
    CHECK(unlink(path) == 0);
}

static void named_semaphore(void) {
    char name[64];
    snprintf(name, sizeof name, "/rp-conf-sem.%d", getpid());
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    CHECK(s != SEM_FAILED);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sem_t *c = sem_open(name, 0);
        CHECK(c != SEM_FAILED);
        for (int i = 0; i < 3; i++) CHECK(sem_post(c) == 0);
        _exit(0);
    }
    for (int i = 0; i < 3; i++) CHECK(sem_wait(s) == 0);
    wait_child(pid);
    int v = -1;
    CHECK(sem_getvalue(s, &v) == 0 && v == 0);
    CHECK(sem_unlink(name) == 0);
}

static void dev_zero_shared(void) {
    int z = open("/dev/zero", O_RDWR);
    CHECK(z >= 0);
    volatile int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    volatile int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { a[1] = 77; _exit(0); }
    wait_child(pid);
    CHECK(a[1] == 77 && b[1] == 0);
}

int main(void) {
    memfd_before_fork();
    named_file_opened_by_child();
    named_semaphore();
    dev_zero_shared();
    PASS();
    return 0;
}
