/* rep_copy [ROUNDS]: 2 threads copy and fill 1 MiB buffers with explicit
 * rep-prefixed string instructions (`rep movsb`, `rep stosq`), as glibc's
 * memcpy/memset do for large sizes, and race over a shared counter: each
 * round reads the counter, copies, fills, and writes back what it read plus
 * one, so a switch in the middle loses updates and the final count differs
 * between native runs. Almost all the time is spent inside the string
 * instructions, so a recorded switch (a kernel backend's, or rp's ptrace
 * timeslice) usually lands part-way through one, with rcx/rsi/rdi part-way:
 * replay must stop there exactly (replay/point_rep.h). The round number is
 * in rax at each instruction, so rounds are told apart. Prints the count and
 * a checksum of each thread's buffer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 2
#define SIZE (1 << 20)

static volatile long counter;
static long rounds = 400;
static unsigned long long sums[NTHREADS];

static void copy_bytes(unsigned char* dst, const unsigned char* src, size_t n, long round) {
#if defined(__x86_64__)
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : "a"(round) : "memory");
#else
    (void)round;
    memcpy(dst, src, n);
#endif
}

static void fill_words(unsigned long long* dst, unsigned long long v, size_t n) {
#if defined(__x86_64__)
    __asm__ volatile("rep stosq" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
#else
    for (size_t i = 0; i < n; i++) dst[i] = v;
#endif
}

static void* worker(void* arg) {
    int id = (int)(long)arg;
    unsigned char* src = malloc(SIZE + 256);
    unsigned char* dst = malloc(SIZE + 256);
    unsigned long long* words = malloc(SIZE);
    if (!src || !dst || !words) abort();
    for (int i = 0; i < SIZE + 256; i++) src[i] = (unsigned char)(i * 7 + id);
    unsigned long long sum = 0;
    for (long r = 0; r < rounds; r++) {
        long seen = counter;
        copy_bytes(dst + (r & 127), src + ((r * 3) & 127), SIZE, r);
        fill_words(words, (unsigned long long)r * 0x9e3779b97f4a7c15ULL, SIZE / 8);
        counter = seen + 1;
        sum = sum * 31 + dst[(r * 4099) % SIZE] + words[(r * 13) % (SIZE / 8)];
    }
    sums[id] = sum;
    free(src);
    free(dst);
    free(words);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc > 1) rounds = atol(argv[1]);
    pthread_t th[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) pthread_create(&th[i], NULL, worker, (void*)i);
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    printf("count %ld of %ld\n", counter, rounds * NTHREADS);
    for (int i = 0; i < NTHREADS; i++) printf("thread %d sum %llx\n", i, sums[i]);
    return 0;
}
