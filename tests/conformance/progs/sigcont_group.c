/* A stopped multithreaded process is continued by SIGCONT; its threads go on. */
#include "conf.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static void *worker(void *arg) {
    for (int i = 0; i < 30; i++) usleep(5000);
    return arg;
}

int main(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
        raise(SIGSTOP);
        for (int i = 0; i < 3; i++) CHECK(pthread_join(t[i], NULL) == 0);
        _exit(9);
    }
    int st;
    CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
    usleep(20000);
    CHECK(kill(pid, SIGCONT) == 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
    PASS();
    return 0;
}
