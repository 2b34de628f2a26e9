/* exit_join [ROUNDS]: each round starts two threads that block in read(2)
 * on one pipe, closes the pipe's write end so both wake and exit together,
 * and joins both; prints "ROUNDS rounds". The first thread's death wakes the
 * main thread (pthread_join's futex on its tid) while the second thread is
 * often still inside exit(2), before the kernel cleared its tid: whether
 * pthread_join then makes a futex call for it depends on whether main's user
 * code ran during that exit. A recorder that lets it run there records a
 * futex call (EAGAIN) that replay cannot reproduce
 * (tests/integration/exit_join.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *worker(void *arg) {
    char c;
    if (read((int)(long)arg, &c, 1) != 0) abort();
    return NULL;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
    for (long i = 0; i < rounds; i++) {
        int p[2];
        pthread_t t[2];
        if (pipe(p) != 0) return 1;
        for (int k = 0; k < 2; k++)
            if (pthread_create(&t[k], NULL, worker, (void *)(long)p[0]) != 0) return 1;
        close(p[1]);
        for (int k = 0; k < 2; k++)
            if (pthread_join(t[k], NULL) != 0) return 1;
        close(p[0]);
    }
    printf("%ld rounds\n", rounds);
    return 0;
}
