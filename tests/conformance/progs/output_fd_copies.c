/* Descriptors of the terminal reached in ways replay must follow to echo
 * what goes through them: a thread that unshares its descriptor table
 * (CLONE_FILES) and closes stdout there leaves the process's stdout open;
 * pidfd_getfd copies another process's stdout under a new number. */
#include "conf.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void *close_own_stdout(void *arg) {
    (void)arg;
    CHECK(unshare(CLONE_FILES) == 0);
    CHECK(close(1) == 0);
    return NULL;
}

int main(void) {
    pthread_t th;
    CHECK(pthread_create(&th, NULL, close_own_stdout, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(write(1, "stdout still open\n", 18) == 18);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    int st;
    CHECK(waitpid(child, &st, WUNTRACED) == child && WIFSTOPPED(st));
    int pidfd = syscall(SYS_pidfd_open, child, 0);
    CHECK(pidfd >= 0);
    int copy = syscall(SYS_pidfd_getfd, pidfd, 1, 0);
    CHECK(copy > 2);
    CHECK(write(copy, "through the child's stdout\n", 27) == 27);
    CHECK(kill(child, SIGCONT) == 0);
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st));
    PASS();
    return 0;
}
