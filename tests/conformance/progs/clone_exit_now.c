/* Children and threads that exit immediately, many times over. */
#include "conf.h"
#include <pthread.h>
#include <sys/wait.h>

static void *nothing(void *arg) { return arg; }

int main(void) {
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) _exit(i);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == i);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, nothing, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    for (int i = 0; i < 10; i++)
        if (fork() == 0) _exit(0);
    while (wait(NULL) > 0) {}
    PASS();
    return 0;
}
