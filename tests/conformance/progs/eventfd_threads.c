/* An eventfd counter posted by several threads and drained by main. */
#include "conf.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>

static int efd;

static void *poster(void *arg) {
    uint64_t v = (uintptr_t)arg;
    for (int i = 0; i < 10; i++)
        if (write(efd, &v, 8) != 8) return (void *)1;
    return NULL;
}

int main(void) {
    efd = eventfd(0, EFD_SEMAPHORE);
    CHECK(efd >= 0);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, poster, (void *)(uintptr_t)(i + 1)) == 0);
    uint64_t got = 0, one;
    for (int i = 0; i < 60; i++) {  /* 10*(1+2+3): semaphore reads take one each */
        CHECK(read(efd, &one, 8) == 8 && one == 1);
        got += one;
    }
    for (int i = 0; i < 3; i++) CHECK(pthread_join(t[i], NULL) == 0);
    printf("drained %llu\n", (unsigned long long)got);
    PASS();
    return 0;
}
