/* unshare(CLONE_NEWPID): the next child is pid 1 of a new namespace; it runs
 * a thread, forks and reaps a child of its own, and exits. */
#include "conf.h"
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>

static void *thread_fn(void *arg) { (void)arg; return (void *)(long)getpid(); }

int main(void) {
    CHECK(unshare(CLONE_NEWPID) == 0);
    pid_t init = fork();
    CHECK(init >= 0);
    if (init == 0) {
        if (getpid() != 1) _exit(80);
        pthread_t t;
        void *ret;
        if (pthread_create(&t, NULL, thread_fn, NULL) != 0) _exit(81);
        pthread_join(t, &ret);
        if ((long)ret != 1) _exit(82);
        pid_t c = fork();
        if (c == 0) _exit(getppid() == 1 ? 0 : 83);
        int st;
        if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) _exit(84);
        _exit(WEXITSTATUS(st));
    }
    int st;
    CHECK(waitpid(init, &st, 0) == init && WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    printf("init was %d outside\n", init);
    PASS();
    return 0;
}
