/* A tracer attaching to the threads of a process that is not its child (a
 * sibling: what a debugger run beside its target does; it needs
 * CAP_SYS_PTRACE or the target's PR_SET_PTRACER). Each attach's SIGSTOP stop
 * reaches the tracer's waitpid, PEEKDATA reads the target's memory, and the
 * tracer exits without detaching: the kernel detaches the threads, they run
 * on. A second target runs to its end under its tracer, whose wait sees
 * that end before the target's parent does. */
#include "conf_ptrace.h"
#include <pthread.h>
#include <sys/prctl.h>

static int tids[2], ready[2], done[2], thread_go[2];
static volatile long marker;

static void* target_thread(void* arg) {
    (void)arg;
    pid_t tid = gettid();
    CHECK(write(tids[1], &tid, sizeof tid) == sizeof tid);
    char c;
    CHECK(read(thread_go[0], &c, 1) == 1);
    return NULL;
}

static int target(void) {
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
    marker = 0x5eed;
    pid_t tid = gettid();
    CHECK(write(tids[1], &tid, sizeof tid) == sizeof tid);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, target_thread, NULL) == 0);
    char c;
    CHECK(read(ready[0], &c, 1) == 1 && c == 'R');
    CHECK(write(thread_go[1], "G", 1) == 1);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(write(done[1], "K", 1) == 1);
    return 7;
}

static int tracer(void) {
    pid_t t[2];
    for (int i = 0; i < 2; i++) CHECK(read(tids[0], &t[i], sizeof t[i]) == sizeof t[i]);
    for (int i = 0; i < 2; i++) {
        int st;
        CHECK(ptrace(PTRACE_ATTACH, t[i], NULL, NULL) == 0);
        CHECK(waitpid(t[i], &st, __WALL) == t[i]);
        CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    }
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, t[0], (void*)&marker, NULL);
    CHECK(errno == 0 && word == 0x5eed && marker == 0);
    CHECK(write(ready[1], "R", 1) == 1);
    return 44;  /* no detach: its end detaches them */
}

/* Attached and resumed, a target's end reaches its tracer's wait. */
static void end_seen_by_tracer(void) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t tgt = fork();
    CHECK(tgt >= 0);
    if (tgt == 0) {
        char c;
        CHECK(read(go[0], &c, 1) == 1);
        _exit(5);
    }
    pid_t tr = fork();
    CHECK(tr >= 0);
    if (tr == 0) {
        int st;
        CHECK(ptrace(PTRACE_ATTACH, tgt, NULL, NULL) == 0);
        CHECK(waitpid(tgt, &st, __WALL) == tgt && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
        CHECK(ptrace(PTRACE_CONT, tgt, NULL, NULL) == 0);
        CHECK(write(go[1], "g", 1) == 1);
        CHECK(waitpid(tgt, &st, __WALL) == tgt);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
        _exit(45);
    }
    int st;
    CHECK(waitpid(tr, &st, 0) == tr && WIFEXITED(st) && WEXITSTATUS(st) == 45);
    CHECK(waitpid(tgt, &st, 0) == tgt && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    printf("the tracer saw its peer exit with 5\n");
}

int main(void) {
    CHECK(pipe(tids) == 0 && pipe(ready) == 0 && pipe(done) == 0 && pipe(thread_go) == 0);
    pid_t tgt = fork();
    CHECK(tgt >= 0);
    if (tgt == 0) exit(target());
    pid_t tr = fork();
    CHECK(tr >= 0);
    if (tr == 0) exit(tracer());
    int st;
    CHECK(waitpid(tr, &st, 0) == tr && WIFEXITED(st) && WEXITSTATUS(st) == 44);
    char c;
    CHECK(read(done[0], &c, 1) == 1 && c == 'K');
    CHECK(waitpid(tgt, &st, 0) == tgt && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    printf("the target ran on after its tracer's end\n");
    end_seen_by_tracer();
    PASS();
    return 0;
}
