/* A thread's exit takes its place among the recorded events just before the
 * kernel clears its tid word (set_tid_address) and wakes its joiners, but
 * the thread may sleep in between: here do_exit's walk of its robust list
 * reads the list's head from a file page evicted from the page cache and
 * waits for the disk. Meanwhile another thread sees the word still set and
 * makes calls; replay must clear the word after those calls, where the
 * recording did, not where the exit was first numbered. */
#include "conf.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static uint32_t word = 1;  /* the exiting thread's tid word: 0 once it is gone */
static struct robust_list_head *head;  /* in the evicted file page */
static int go[2];

static void *exiter(void *arg) {
    (void)arg;
    CHECK(syscall(SYS_set_tid_address, &word) > 0);
    CHECK(syscall(SYS_set_robust_list, head, sizeof *head) == 0);
    CHECK(write(go[1], "x", 1) == 1);
    syscall(SYS_exit, 0);  /* not glibc's thread exit: it would reset the list */
    return NULL;
}

/* A robust list head in a file page that left the page cache: written,
 * mapped (rp records the mapping's bytes, which maps the page), unmapped
 * from the page table and evicted. All zeros but a mark: an empty list's
 * first read fails (its next is NULL) after the page came back from disk.
 * Returns 1 if the page left the page cache. */
static const char kMark[] = "rp exit_before_clear";

static int evicted_head(void) {
    int fd = conf_temp_file();
    static char page[4096];
    memcpy(page + 2048, kMark, sizeof kMark);
    CHECK(pwrite(fd, page, sizeof page, 0) == (ssize_t)sizeof page);
    CHECK(fsync(fd) == 0);
    void *p = mmap(NULL, sizeof page, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    head = p;
    CHECK(madvise(p, sizeof page, MADV_DONTNEED) == 0);
    CHECK(posix_fadvise(fd, 0, sizeof page, POSIX_FADV_DONTNEED) == 0);
    unsigned char vec = 1;
    CHECK(mincore(p, sizeof page, &vec) == 0);
    close(fd);
    return !(vec & 1);
}

int main(void) {
    int evicted = evicted_head();
    CHECK(pipe(go) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, exiter, NULL) == 0);
    char c;
    CHECK(read(go[0], &c, 1) == 1);
    long seen_alive = 0;
    while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != 0) {
        sched_yield();
        seen_alive++;
    }
    CHECK(strcmp((const char *)head + 2048, kMark) == 0);  /* the page is back */
    /* Where the page could not be evicted (tmpfs) the exit does not wait. */
    printf("page evicted: %s; calls while the exiting thread was alive: %ld\n",
           evicted ? "yes" : "no", seen_alive);
    PASS();
    return 0;
}
