/* The first child in a new pid namespace is 1 there, and glibc caches that
 * tid (the kernel wrote it at fork's CLONE_CHILD_SETTID pointer): an
 * error-checking mutex it locks records 1 as its owner. Also a second
 * namespace made by clone(CLONE_NEWPID). */
#define _GNU_SOURCE
#include "conf.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int owner_seen(void) {
    pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    CHECK(pthread_mutex_lock(&m) == 0);
    int owner = m.__data.__owner;
    CHECK(pthread_mutex_unlock(&m) == 0);
    return owner;
}

static void child_reports(void) {
    printf("in the namespace: getpid %d, mutex owner %d\n", getpid(), owner_seen());
    fflush(stdout);
    _exit(owner_seen() == 1 ? 0 : 1);
}

int main(void) {
    fflush(stdout);
    pid_t outer = fork();  /* unshare's namespace from a process of its own */
    CHECK(outer >= 0);
    if (outer == 0) {
        CHECK(unshare(CLONE_NEWPID) == 0);
        pid_t child = fork();
        CHECK(child >= 0);
        if (child == 0) child_reports();
        int st;
        CHECK(waitpid(child, &st, 0) == child);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 2);
    }
    int st;
    CHECK(waitpid(outer, &st, 0) == outer && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pid_t cl = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0, 0, 0);
    CHECK(cl >= 0);
    if (cl == 0) {
        /* A raw clone: glibc's cached tid is the parent's; the kernel's write
         * at the (null) pointer is skipped. Only the pid is asked. */
        printf("raw clone: getpid %d\n", (int)syscall(SYS_getpid));
        fflush(stdout);
        _exit(0);
    }
    CHECK(waitpid(cl, &st, 0) == cl && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("parent: mutex owner is its own tid: %d\n", owner_seen() == (int)syscall(SYS_gettid));
    PASS();
    return 0;
}
