/* A thread other than the main one calls execve: it takes over the leader's
 * pid, the other threads vanish. */
#include "conf.h"
#include <pthread.h>
#include <sys/syscall.h>

extern char **environ;
static char *self_arg0;
static pid_t leader;

static void *execer(void *arg) {
    (void)arg;
    CHECK(syscall(SYS_gettid) != leader);
    char pid[32];
    snprintf(pid, sizeof pid, "%d", leader);
    char *args[] = {self_arg0, pid, NULL};
    execve("/proc/self/exe", args, environ);
    CHECK(!"execve returned");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        CHECK(atoi(argv[1]) == getpid());
        CHECK(syscall(SYS_gettid) == getpid());
        PASS();
        return 0;
    }
    self_arg0 = argv[0];
    leader = getpid();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, execer, NULL) == 0);
    for (;;) pause();
}
