/* A thread faults (SIGSEGV kills the group) while another computes between
 * reads: the busy thread is most likely stopped in user code, not in a call,
 * when the group dies. Replay must let the fault kill the group before the
 * busy thread goes on to a call the recording never made. */
#include "conf.h"
#include <fcntl.h>
#include <pthread.h>
#include <time.h>

static int zero_fd;

static void *busy(void *arg) {
    (void)arg;
    char c;
    for (;;) {
        for (volatile unsigned i = 0; i < 200000; i++) {
        }
        if (read(zero_fd, &c, 1) != 1) abort();
    }
    return NULL;
}

static void *faulter(void *arg) {
    (void)arg;
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    *(volatile int *)0 = 1;
    return NULL;
}

int main(void) {
    zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    CHECK(zero_fd >= 0);
    PASS();  /* before the fault: the status (SIGSEGV) is the rest */
    pthread_t a, b;
    /* The busy thread first: replay lets a group's threads go in tid order. */
    CHECK(pthread_create(&a, NULL, busy, NULL) == 0);
    CHECK(pthread_create(&b, NULL, faulter, NULL) == 0);
    pthread_join(b, NULL);
    return 1;
}
