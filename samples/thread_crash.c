/* thread_crash: four threads increment a shared counter without a lock, so
 * updates get lost and the total differs between runs. The last thread to
 * finish prints the total and then crashes: SIGSEGV when the total is odd,
 * SIGFPE (integer division by zero) when it is even. Replay must print the
 * same total and die of the same signal, in the same thread. Output goes
 * through write(2): stdio buffers would be lost in the crash. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define ROUNDS 2000000

static volatile unsigned long counter; /* racy on purpose */
static atomic_int finished;
static volatile int zero;
static int *volatile nowhere;

static void crash(unsigned long total) {
    if (total % 2) *nowhere = 1;            /* SIGSEGV */
    else zero = (int)total / zero;          /* SIGFPE */
}

static void *worker(void *arg) {
    int id = (int)(long)arg;
    for (int i = 0; i < ROUNDS; i++) counter = counter + 1;
    if (atomic_fetch_add(&finished, 1) == NTHREADS - 1) {
        char line[96];
        unsigned long total = counter;
        int n = snprintf(line, sizeof line, "total=%lu (lost %lu) last=t%d crashing with %s\n",
                         total, (unsigned long)NTHREADS * ROUNDS - total, id,
                         total % 2 ? "SIGSEGV" : "SIGFPE");
        if (write(1, line, (size_t)n) != n) return NULL;
        crash(total);
    }
    return NULL;
}

int main(void) {
    pthread_t th[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    static const char msg[] = "no crash: unreachable\n";
    return write(1, msg, strlen(msg)) < 0 ? 2 : 0;
}
