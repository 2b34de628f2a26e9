/* PR_SET_NAME / PR_GET_NAME, and the name seen in /proc/self/comm and in a
 * thread's /proc/self/task/TID/comm set with pthread_setname_np. */
#include "conf.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static void *named(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "rp-worker");
    char path[64], buf[32] = {0};
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", (long)syscall(SYS_gettid));
    int fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0) return (void *)1;
    close(fd);
    printf("thread comm: %s", buf);
    return NULL;
}

int main(void) {
    char name[17] = {0}, comm[32] = {0};
    CHECK(prctl(PR_SET_NAME, "rp-conf-name", 0, 0, 0) == 0);
    CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0);
    int fd = open("/proc/self/comm", O_RDONLY);
    CHECK(fd >= 0 && read(fd, comm, sizeof comm - 1) > 0);
    printf("name %s, comm %s", name, comm);
    pthread_t t;
    void *r;
    CHECK(pthread_create(&t, NULL, named, NULL) == 0 && pthread_join(t, &r) == 0 && r == NULL);
    PASS();
    return 0;
}
