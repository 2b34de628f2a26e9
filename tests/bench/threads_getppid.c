/* threads_getppid T K: benchmark helper for tests/bench/run.sh (scaling vs threads).
 * Starts T threads; each makes K raw getppid syscalls. Prints T, K and the sum of
 * the results so the calls cannot be optimized away. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_THREADS 64

static long per_thread;

static void *worker(void *arg) {
    long sum = 0;
    for (long i = 0; i < per_thread; i++)
        sum += syscall(SYS_getppid);
    *(long *)arg = sum;
    return NULL;
}

int main(int argc, char **argv) {
    int t = argc > 1 ? atoi(argv[1]) : 1;
    per_thread = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    if (t < 1 || t > MAX_THREADS) {
        fprintf(stderr, "usage: %s THREADS(1..%d) CALLS_PER_THREAD\n", argv[0], MAX_THREADS);
        return 2;
    }
    pthread_t th[MAX_THREADS];
    long sums[MAX_THREADS];
    for (int i = 0; i < t; i++)
        if (pthread_create(&th[i], NULL, worker, &sums[i]) != 0) {
            perror("pthread_create");
            return 1;
        }
    long total = 0;
    for (int i = 0; i < t; i++) {
        pthread_join(th[i], NULL);
        total += sums[i];
    }
    printf("threads=%d calls_per_thread=%ld sum=%ld\n", t, per_thread, total);
    fflush(stdout);
    return 0;
}
