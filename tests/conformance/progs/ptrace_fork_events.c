/* A tracer with PTRACE_O_TRACEFORK and TRACECLONE: its child stops at the
 * fork and clone events (the new pid as the message), the new process and
 * thread are traced from their start (a PTRACE_EVENT_STOP first), and their
 * ends reach the tracer's wait though they are not its children. A wait
 * with WNOHANG for one still running answers 0. */
#include "conf.h"
#include <pthread.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static void *thread_fn(void *arg) { (void)arg; return NULL; }

/* The child's next stop: the status it gives the tracer. */
static int next_stop(pid_t pid, int flags) {
    int st = 0;
    CHECK(waitpid(pid, &st, flags) == pid);
    return st;
}

/* At an event stop of `child`: its message, checked against `event`. */
static pid_t new_pid_at(pid_t child, int event) {
    int st = next_stop(child, 0);
    CHECK(st >> 8 == (SIGTRAP | (event << 8)));
    unsigned long msg = 0;
    CHECK(ptrace(PTRACE_GETEVENTMSG, child, NULL, &msg) == 0 && msg > 0);
    return (pid_t)msg;
}

int main(void) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(90);
        pid_t g = fork();
        if (g == 0) _exit(66);
        int st;
        if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 66) _exit(91);
        pthread_t t;
        if (pthread_create(&t, NULL, thread_fn, NULL) != 0) _exit(92);
        pthread_join(t, NULL);
        _exit(77);
    }
    long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACESYSGOOD;
    CHECK(ptrace(PTRACE_SEIZE, child, NULL, (void *)opts) == 0);
    CHECK(write(go[1], "g", 1) == 1);

    pid_t grandchild = new_pid_at(child, PTRACE_EVENT_FORK);
    int st = next_stop(grandchild, __WALL);
    CHECK(st >> 8 == (SIGTRAP | (PTRACE_EVENT_STOP << 8)));
    CHECK(waitpid(child, &st, WNOHANG) == 0);  /* reported already, held */
    CHECK(waitpid(grandchild, &st, WNOHANG | __WALL) == 0);  /* likewise, and no child */
    CHECK(ptrace(PTRACE_CONT, grandchild, NULL, NULL) == 0);
    st = next_stop(grandchild, __WALL);  /* its end, before its parent reaps it */
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 66);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    st = next_stop(child, 0);  /* the grandchild's SIGCHLD to its parent */
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGCHLD);
    CHECK(ptrace(PTRACE_CONT, child, NULL, (void *)SIGCHLD) == 0);

    pid_t thread = new_pid_at(child, PTRACE_EVENT_CLONE);
    st = next_stop(thread, __WALL);
    CHECK(st >> 8 == (SIGTRAP | (PTRACE_EVENT_STOP << 8)));
    CHECK(ptrace(PTRACE_CONT, thread, NULL, NULL) == 0);
    CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
    st = next_stop(thread, __WALL);
    /* 0, or the process's code if its exit_group came before the wait */
    CHECK(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77));
    st = next_stop(child, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 77);
    printf("fork and clone events seen, both new tasks traced to their ends\n");
    PASS();
    return 0;
}
