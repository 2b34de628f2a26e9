/* yield_strict [TURNS]: two threads take strict turns by sched_yield alone:
 * each runs a turn's body, then yields, and checks that the other thread ran
 * the body in between. On one CPU the kernel runs the other (runnable)
 * thread at each yield; the ptrace recorder, which runs one thread of a
 * process at a time, must hand it the turn the same way, also when that
 * thread is still inside its own sched_yield (tests/integration/yield_handoff.sh).
 * Prints "N turns in order", or the first turn out of order (exit 1). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_barrier_t start;
static volatile int ready[2];
static volatile int last = -1;
static int turns = 100;

static void *take_turns(void *arg) {
    const int me = (int)(long)arg;
    pthread_barrier_wait(&start);
    ready[me] = 1;
    do sched_yield(); while (!ready[1 - me]);
    for (int i = 0; i < turns; i++) {
        if (last == me) {
            printf("thread %d: turn %d out of order\n", me, i);
            exit(1);
        }
        last = me;
        sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) turns = atoi(argv[1]);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    pthread_barrier_init(&start, NULL, 2);
    pthread_t t;
    if (pthread_create(&t, NULL, take_turns, (void *)1L) != 0) return 2;
    take_turns((void *)0L);
    pthread_join(t, NULL);
    printf("%d turns in order\n", turns);
    return 0;
}
