/* A write that blocks on a full pipe sends its buffer's bytes as the pipe
 * drains: another thread changes the part not sent yet, and the reader gets
 * the changed bytes. What the call sent is what the buffer held at its end,
 * not at its start. */
#include "conf.h"
#include <pthread.h>

#define SIZE (256 * 1024)
static char buf[SIZE];
static int fds[2];

static void *drain(void *arg) {
    (void)arg;
    static char got[SIZE];
    long total = 0;
    ssize_t n;
    while (total < SIZE / 2 && (n = read(fds[0], got + total, 4096)) > 0) total += n;
    /* The writer still blocks: the last bytes are not in the pipe yet. */
    memset(buf + SIZE - 4096, 'z', 4096);
    getppid();
    while ((n = read(fds[0], got + total, SIZE - total)) > 0) total += n;
    CHECK(total == SIZE);
    CHECK(got[SIZE - 1] == 'z' && got[0] == 'a');
    return NULL;
}

int main(void) {
    memset(buf, 'a', SIZE);
    CHECK(pipe(fds) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, drain, NULL) == 0);
    CHECK(write(fds[1], buf, SIZE) == SIZE);
    close(fds[1]);
    CHECK(pthread_join(t, NULL) == 0);
    printf("sent %d bytes, the last %c\n", SIZE, buf[SIZE - 1]);
    PASS();
    return 0;
}
