/* fork while another thread writes: the child gets the parent's memory as
 * the kernel copies it during the call, mapping by mapping in address order.
 * Here the call copies a large mapping first (tens of ms of page tables)
 * and the page a sibling thread counts in last; a sibling let run during
 * the copy puts its count in the child or not by timing alone, and replay,
 * which makes the fork at the call's entry, would give the child another
 * count. Each child prints what it sees. */
#include "conf.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define BIG (512UL << 20)

static volatile int stop;

static void *count(void *arg) {
    volatile unsigned long *c = arg;  /* held in a register: each pass tells */
    while (!stop) (*c)++;
    return NULL;
}

int main(void) {
    /* Mapped first, so above the large mapping (mmap goes down). */
    volatile unsigned long *counter =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(counter != MAP_FAILED && big != MAP_FAILED && (char *)counter > big);
    for (unsigned long i = 0; i < BIG; i += 4096) big[i] = 1;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, count, (void *)counter) == 0);
    while (*counter < 1000) sched_yield();
    for (int i = 0; i < 4; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char line[64];
            int n = snprintf(line, sizeof line, "child %d saw %lu\n", i, *counter);
            CHECK(write(1, line, n) == n);
            _exit(0);
        }
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    stop = 1;
    CHECK(pthread_join(t, NULL) == 0);
    PASS();
    return 0;
}
