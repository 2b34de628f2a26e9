/* An execve ends the caller's other threads, wherever they are: one asleep
 * in a call it never returns from, one spinning in user code. The trace has
 * their ends before the execve (it completes after they are gone): replay
 * must not resume them. First a thread other than the leader execs (it
 * takes over the leader's pid), then, in the new image, the leader. */
#include "conf.h"
#include <pthread.h>
#include <time.h>

extern char** environ;
static char* self;

static void* sleeper(void* arg) {
    (void)arg;
    for (;;) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static volatile unsigned long spins;
static void* spinner(void* arg) {
    (void)arg;
    for (;;) spins++;
    return NULL;
}

static void exec_stage(const char* stage) {
    char* args[] = {self, (char*)stage, NULL};
    execve("/proc/self/exe", args, environ);
    CHECK(!"execve returned");
}

static void* execer(void* arg) {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    exec_stage(arg);
    return NULL;
}

static void start_others(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sleeper, NULL) == 0);
    CHECK(pthread_create(&t, NULL, spinner, NULL) == 0);
}

int main(int argc, char** argv) {
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "done") == 0) {
        PASS();
        return 0;
    }
    start_others();
    if (argc > 1 && strcmp(argv[1], "leader") == 0) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        printf("the leader execs\n");
        fflush(stdout);
        exec_stage("done");
    }
    pthread_t t;
    CHECK(pthread_create(&t, NULL, execer, "leader") == 0);
    printf("a thread execs\n");
    fflush(stdout);
    for (;;) pause();
}
