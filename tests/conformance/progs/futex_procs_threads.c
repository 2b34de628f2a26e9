/* A child process and a grandchild each run threads that hand a counter
 * around with a process-shared mutex and condition variable. */
#include "conf.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shared { pthread_mutex_t m; pthread_cond_t c; int turn, total; };
static struct shared *sh;

static void *worker(void *arg) {
    int me = (int)(long)arg;
    for (int round = 0; round < 20; round++) {
        pthread_mutex_lock(&sh->m);
        while (sh->turn % 4 != me) pthread_cond_wait(&sh->c, &sh->m);
        sh->turn++;
        sh->total += me;
        pthread_cond_broadcast(&sh->c);
        pthread_mutex_unlock(&sh->m);
    }
    return NULL;
}

static void run_two(int first) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)(long)(first + i)) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_join(t[i], NULL) == 0);
}

int main(void) {
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->m, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&sh->c, &ca);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        pid_t grand = fork();
        CHECK(grand >= 0);
        run_two(grand == 0 ? 2 : 0);
        if (grand == 0) _exit(0);
        int st;
        CHECK(waitpid(grand, &st, 0) == grand && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        _exit(0);
    }
    int st;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(sh->turn == 80 && sh->total == 20 * (0 + 1 + 2 + 3));
    PASS();
    return 0;
}
