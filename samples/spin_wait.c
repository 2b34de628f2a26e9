/* spin_wait: a thread that waits for another by spinning on memory, without
 * any syscall. rp's recorder runs one thread of a process at a time, so the
 * spinner is preempted after a timeslice (recorded with its registers) and
 * replay preempts it at the same point: the spin count repeats exactly. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/random.h>

static atomic_int ready;
static unsigned value;

static void *producer(void *arg) {
    (void)arg;
    if (getrandom(&value, sizeof value, 0) != sizeof value) value = 0;
    atomic_store(&ready, 1);
    return NULL;
}

int main(void) {
    pthread_t t;
    unsigned long spins = 0;
    pthread_create(&t, NULL, producer, NULL);
    while (!atomic_load(&ready)) spins++;
    pthread_join(t, NULL);
    printf("value=%08x spins=%lu\n", value, spins);
    fflush(stdout);
    return 0;
}
