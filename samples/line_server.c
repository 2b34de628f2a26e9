/* line_server: a small line-protocol server for `rp record -p` (attach) tests.
 * Usage: line_server FIFO. Reads requests, one per line, from FIFO (opened
 * read-write, so it never sees end-of-file) and answers each on stdout:
 *   set KEY VALUE   store VALUE under KEY (kept in memory)  -> "ok N"
 *   get KEY         -> "KEY=VALUE" or "KEY?"
 *   del KEY         remove KEY -> "deleted KEY"
 *                   BUG: deleting a key never stored dereferences NULL (SIGSEGV)
 *   count           -> "count N" (requests served so far)
 *   time            -> "time ok" (clock_gettime through the vDSO)
 *   tsc             -> "tsc ok" (rdtsc: must not trap once rp has detached)
 *   cpuid           -> "cpuid ok" (x86_64: must not trap once rp has detached)
 *   cpu             -> "cpu N" (sched_getcpu: glibc reads it from its rseq area)
 *   thread          -> "thread N" (a thread started and joined: N computed by it)
 *   peek            -> "peek ELF" (from its own executable, mapped shared and read-only)
 *   vdso            -> "vdso HASH" (a hash of its vDSO image: rp puts it back at detach)
 *   quit            exit 0
 * Single-threaded but for `thread`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

struct entry {
    char key[64];
    char *value;
    struct entry *next;
};

static struct entry *table;
static const char *exe_map; /* MAP_SHARED, PROT_READ */
static long served;

static struct entry *find(const char *key) {
    for (struct entry *e = table; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e;
    return NULL;
}

/* noinline: the crashing frame `bt` must show. */
__attribute__((noinline)) static void remove_entry(const char *key) {
    struct entry *e = find(key);
    struct entry **link = &table;
    while (*link != e) link = &(*link)->next;
    *link = e->next; /* e is NULL for a key never stored */
    free(e->value);
    free(e);
}

static void *worker(void *arg) {
    return (void *)((long)arg * 2);
}

static unsigned long vdso_hash(void) {
    unsigned long base = getauxval(AT_SYSINFO_EHDR), start, end, h = 1469598103934665603ul;
    char line[256];
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!base || !maps) return 0;
    while (fgets(line, sizeof line, maps))
        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && start == base) break;
    fclose(maps);
    for (const unsigned char *p = (const unsigned char *)base; p < (const unsigned char *)end; p++)
        h = (h ^ *p) * 1099511628211ul;
    return h;
}

static void handle(char *line) {
    char cmd[16] = "", key[64] = "", value[128] = "";
    served++;
    sscanf(line, "%15s %63s %127s", cmd, key, value);
    if (strcmp(cmd, "set") == 0) {
        struct entry *e = find(key);
        if (!e) {
            e = calloc(1, sizeof *e);
            strcpy(e->key, key);
            e->next = table;
            table = e;
        }
        free(e->value);
        e->value = strdup(value);
        printf("ok %ld\n", served);
    } else if (strcmp(cmd, "get") == 0) {
        struct entry *e = find(key);
        if (e) printf("%s=%s\n", key, e->value);
        else printf("%s?\n", key);
    } else if (strcmp(cmd, "del") == 0) {
        remove_entry(key);
        printf("deleted %s\n", key);
    } else if (strcmp(cmd, "count") == 0) {
        printf("count %ld\n", served);
    } else if (strcmp(cmd, "time") == 0) {
        struct timespec ts;
        printf(clock_gettime(CLOCK_MONOTONIC, &ts) == 0 ? "time ok\n" : "time failed\n");
    } else if (strcmp(cmd, "tsc") == 0) {
#if defined(__x86_64__)
        volatile unsigned long long t = __rdtsc();
#else  /* arm64: the virtual counter, whose reads rp patches to trap */
        volatile unsigned long long t;
        __asm__ volatile("mrs %0, cntvct_el0" : "=r"(t));
#endif
        (void)t;
        printf("tsc ok\n");
    } else if (strcmp(cmd, "cpuid") == 0) {
#if defined(__x86_64__)
        unsigned a, b, c, d;
        __cpuid(1, a, b, c, d);
        (void)a, (void)b, (void)c, (void)d;
#endif
        printf("cpuid ok\n");
    } else if (strcmp(cmd, "thread") == 0) {
        pthread_t t;
        void *r = NULL;
        if (pthread_create(&t, NULL, worker, (void *)served) == 0) pthread_join(t, &r);
        printf("thread %ld\n", (long)r);
    } else if (strcmp(cmd, "peek") == 0) {
        printf("peek %.3s\n", exe_map ? exe_map + 1 : "?");
    } else if (strcmp(cmd, "cpu") == 0) {
        printf("cpu %d\n", sched_getcpu());
    } else if (strcmp(cmd, "vdso") == 0) {
        printf("vdso %lx\n", vdso_hash());
    } else if (strcmp(cmd, "quit") == 0) {
        printf("bye\n");
        exit(0);
    } else {
        printf("unknown request\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: line_server FIFO\n");
        return 2;
    }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    int exe = open("/proc/self/exe", O_RDONLY);
    if (exe >= 0) {
        void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, exe, 0);
        if (m != MAP_FAILED) exe_map = m;
        close(exe);
    }
    printf("ready\n");
    fflush(stdout);
    char buf[4096];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0) return 1;
        have += (size_t)n;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
            *nl = '\0';
            handle(start);
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf - 1) have = 0; /* an overlong line is dropped */
    }
}
