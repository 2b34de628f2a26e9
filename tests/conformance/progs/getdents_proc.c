/* getdents64 over /proc/self/task and /proc/self/fd while threads run: the
 * entries (tids, fd numbers) are what the kernel listed. */
#define _GNU_SOURCE
#include "conf.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>

static pthread_barrier_t b;
static void *idle(void *arg) { (void)arg; pthread_barrier_wait(&b); pthread_barrier_wait(&b); return NULL; }

static int list(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY), n = 0;
    if (fd < 0) return -1;
    char buf[4096];
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (d->d_name[0] != '.') { printf(" %s", d->d_name); n++; }
            off += d->d_reclen;
        }
    printf("\n");
    close(fd);
    return n;
}

int main(void) {
    pthread_t t[2];
    CHECK(pthread_barrier_init(&b, NULL, 3) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, idle, NULL) == 0);
    pthread_barrier_wait(&b);
    CHECK(list("/proc/self/task") == 3);
    CHECK(list("/proc/self/fd") >= 3);
    pthread_barrier_wait(&b);
    for (int i = 0; i < 2; i++) CHECK(pthread_join(t[i], NULL) == 0);
    PASS();
    return 0;
}
