/* threads: nondeterminism from thread scheduling + getrandom. 4 pthreads each
 * do 5 rounds of: getrandom 4 bytes, then write a line "t<i>:<hex>" to stdout
 * with one write(2) (atomic, so no lock is needed). The line order shows the
 * interleaving. The threads interact only through syscalls (write, and futex
 * in pthread_join), which is what syscall-level replay reproduces exactly. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 4
#define ROUNDS 5

static void *worker(void *arg) {
    int id = (int)(long)arg;
    for (int r = 0; r < ROUNDS; r++) {
        unsigned char b[4];
        char line[32];
        if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) return NULL;
        int n = snprintf(line, sizeof line, "t%d:%02x%02x%02x%02x\n", id, b[0], b[1], b[2], b[3]);
        if (write(1, line, (size_t)n) != n) return NULL;
        syscall(SYS_sched_yield);
    }
    return NULL;
}

int main(void) {
    pthread_t th[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    printf("joined %d threads\n", NTHREADS);
    fflush(stdout);
    return 0;
}
