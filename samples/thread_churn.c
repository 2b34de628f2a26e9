/* thread_churn [N]: starts and joins N threads (default 1000), one at a
 * time, and prints the sum of what they return. Under a kernel backend a
 * new thread is often switched out at its very first instruction, where it
 * still has every signal blocked (glibc's pthread_create blocks them around
 * clone): replay must stop it there although SIGTRAP is blocked
 * (tests/threads/new_thread_switch.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *worker(void *arg) {
    return (void *)((long)arg * 2);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000, sum = 0;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, NULL, worker, (void *)i) != 0 || pthread_join(t, &r) != 0) return 1;
        sum += (long)r;
    }
    printf("%ld threads, sum %ld\n", n, sum);
    return 0;
}
