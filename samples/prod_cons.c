/* prod_cons: a producer and three consumers share a bounded queue guarded by
 * a mutex and two condition variables. Which consumer takes which item is up
 * to the scheduler (and to how long each spends on its items), so the line
 * "order=<hash>" differs between native runs; replay must reproduce it. Each
 * consumer spends a little CPU per item without a syscall, so thread switches
 * also land in user code, between the recorded futex calls. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define ITEMS 2000
#define CONSUMERS 3
#define QUEUE 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int queue[QUEUE], head, count, produced_all;
static unsigned char taken_by[ITEMS]; /* consumer id (1-based) per item */
static int taken[CONSUMERS];

static void *consumer(void *arg) {
    int id = (int)(long)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && !produced_all) pthread_cond_wait(&not_empty, &lock);
        if (count == 0) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        int item = queue[head];
        head = (head + 1) % QUEUE;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
        taken_by[item] = (unsigned char)(id + 1);
        taken[id]++;
        /* Work whose length depends on the item: consumers fall out of step. */
        volatile unsigned long sink = 0;
        for (unsigned long i = 0; i < 2000UL * (unsigned long)(item % 7 + 1); i++) sink += i;
    }
}

int main(void) {
    pthread_t th[CONSUMERS];
    for (long i = 0; i < CONSUMERS; i++) pthread_create(&th[i], NULL, consumer, (void *)i);
    for (int item = 0; item < ITEMS; item++) {
        pthread_mutex_lock(&lock);
        while (count == QUEUE) pthread_cond_wait(&not_full, &lock);
        queue[(head + count) % QUEUE] = item;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    produced_all = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < CONSUMERS; i++) pthread_join(th[i], NULL);

    uint64_t h = 1469598103934665603ULL; /* FNV-1a over who took each item */
    for (int i = 0; i < ITEMS; i++) h = (h ^ taken_by[i]) * 1099511628211ULL;
    printf("items=%d taken=%d/%d/%d order=%016llx\n", ITEMS, taken[0], taken[1], taken[2],
           (unsigned long long)h);
    return 0;
}
