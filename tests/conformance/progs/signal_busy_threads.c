/* Signals to threads that compute and store next to each other: each
 * thread's handler runs at the instruction it was interrupted at, while the
 * others keep writing the words beside its own. */
#include "conf.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define THREADS 3
static volatile unsigned long work[8];
static atomic_int ready, stop;
static volatile int hits;

static void on_usr1(int sig) { (void)sig; hits++; }

/* Its word by pointer: a register holds the address of its word, next to
 * the others' (the memory a signal's point is checked by). */
static void *compute(void *arg) {
    volatile unsigned long *mine = arg;
    unsigned long x = 1;
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&stop)) {
        for (int k = 0; k < 1000; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
        *mine = x;
    }
    return NULL;
}

int main(void) {
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, compute, (void *)&work[i]) == 0);
    while (atomic_load(&ready) < THREADS) usleep(100);
    /* One signal each (a second could merge with a pending one), sent while
     * the others run: a thread switched out gets it when it runs again,
     * after the others wrote beside its word. */
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_kill(t[i], SIGUSR1) == 0);
        usleep(500);
    }
    usleep(5000);
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
    CHECK(hits == THREADS);  /* each thread took its signal before it saw stop */
    printf("work %lx %lx %lx\n", work[0], work[1], work[2]);
    PASS();
    return 0;
}
