/* Process-shared robust mutexes whose owner dies without unlocking: a
 * child killed with SIGKILL while it holds one, and a child whose other
 * thread holds one when the process dies of SIGABRT, or when its main
 * thread calls _exit. The kernel marks each owner dead, so the parent's
 * next lock gets EOWNERDEAD. */
#include "conf.h"
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static pthread_mutex_t *m;
static int which;
static int ready[2];

static void *hold_forever(void *arg) {
    CHECK(pthread_mutex_lock(&m[which]) == 0);
    CHECK(write(ready[1], "t", 1) == 1);
    for (;;) pause();
    return arg;
}

static void lock_dead_owner(pthread_mutex_t *mx, const char *what) {
    int r = pthread_mutex_lock(mx);
    printf("%s: lock gives %d\n", what, r);
    CHECK(r == EOWNERDEAD);
    CHECK(pthread_mutex_consistent(mx) == 0 && pthread_mutex_unlock(mx) == 0);
    CHECK(pthread_mutex_lock(mx) == 0 && pthread_mutex_unlock(mx) == 0);
}

int main(void) {
    m = mmap(NULL, 3 * sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    for (int i = 0; i < 3; i++) CHECK(pthread_mutex_init(&m[i], &a) == 0);
    CHECK(pipe(ready) == 0);
    char ch;
    int st;

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK(pthread_mutex_lock(&m[0]) == 0);
        CHECK(write(ready[1], "c", 1) == 1);
        for (;;) pause();
    }
    CHECK(read(ready[0], &ch, 1) == 1);
    CHECK(kill(child, SIGKILL) == 0);
    CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    lock_dead_owner(&m[0], "killed owner");

    for (which = 1; which <= 2; which++) {
        child = fork();
        CHECK(child >= 0);
        if (child == 0) {
            pthread_t t;
            CHECK(pthread_create(&t, NULL, hold_forever, NULL) == 0);
            CHECK(read(ready[0], &ch, 1) == 1);
            if (which == 1) abort();
            _exit(3);
        }
        CHECK(waitpid(child, &st, 0) == child);
        CHECK(which == 1 ? WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT
                         : WIFEXITED(st) && WEXITSTATUS(st) == 3);
        lock_dead_owner(&m[which], which == 1 ? "owner thread of an aborted process"
                                              : "owner thread of an exited process");
    }
    PASS();
    return 0;
}
