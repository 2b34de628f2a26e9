/* The init of a pid namespace ends from a second thread (its main thread
 * left with pthread_exit) while its namespace still holds a child and a
 * grandchild (which the init has inherited): the kernel kills and reaps them
 * before that last thread's exit completes, and the init's parent sees the
 * exit status the thread gave. */
#include "conf.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void *end_all(void *arg) {
    (void)arg;
    exit(42);  /* exit_group from a thread that is not the main one */
}

static void run_init(void) {
    if (getpid() != 1) _exit(80);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (fork() == 0) {  /* the grandchild: the init inherits it */
            pause();
            _exit(82);
        }
        _exit(0);
    }
    int st;
    CHECK(waitpid(child, &st, 0) == child);
    pid_t again = fork();  /* one more child, alive when the init ends */
    CHECK(again >= 0);
    if (again == 0) {
        pause();
        _exit(83);
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, end_all, NULL) == 0);
    pthread_exit(NULL);
}

int main(void) {
    CHECK(unshare(CLONE_NEWPID) == 0);
    pid_t init = fork();
    CHECK(init >= 0);
    if (init == 0) run_init();
    int st;
    CHECK(waitpid(init, &st, 0) == init);
    printf("init: %s %d\n", WIFEXITED(st) ? "exit" : "killed by",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
    PASS();
    return 0;
}
