/* write_order: two threads write to the same stdout, one a large buffer (a few
 * milliseconds in the kernel, running, never asleep), the other a short line
 * while the first is still in its write. The file shows the order in which
 * the kernel made the two writes; replay prints them in the order of the
 * trace. A ptrace recorder that gives the second thread the process's slot
 * while the first is still busy in its call lets their effects and their
 * numbered returns disagree (tests/integration/write_order.sh).
 * usage: write_order [ROUNDS] [MIB] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *short_writer(void *arg) {
    (void)arg;
    struct timespec ts = {0, 1000 * 1000};  /* the large write starts first */
    nanosleep(&ts, NULL);
    const char line[] = "\nshort line\n";
    if (write(1, line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) return (void *)1;
    return NULL;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    size_t len = (size_t)(argc > 2 ? atol(argv[2]) : 16) << 20;
    char *big = malloc(len);
    if (!big) return 1;
    memset(big, '.', len);
    for (int r = 0; r < rounds; r++) {
        pthread_t th;
        if (pthread_create(&th, NULL, short_writer, NULL) != 0) return 1;
        if (write(1, big, len) != (ssize_t)len) return 1;
        void *res;
        pthread_join(th, &res);
        if (res) return 1;
    }
    return 0;
}
