/* PTRACE_LISTEN, as strace -f starts a program: the child stops itself,
 * the tracer seizes it in that group-stop (a PTRACE_EVENT_STOP carrying
 * SIGSTOP), sends SIGCONT and listens; the end of the group-stop is a
 * PTRACE_EVENT_STOP carrying SIGTRAP, then SIGCONT's own delivery stop.
 * strace also interrupts it between the seize and the SIGCONT; that stop,
 * in the group-stop, is the one it listens at. */
#include "conf_ptrace.h"

#define EVENT_STOP(sig) ((((sig) | (PTRACE_EVENT_STOP << 8)) << 8) | 0x7f)

/* Forks a child that stops itself, seizes it in that group-stop and sends
 * it SIGCONT; with `interrupt`, PTRACE_INTERRUPT first, as strace does. */
static pid_t seize_stopped_child(int interrupt) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        raise(SIGSTOP);
        printf("child runs on\n");
        fflush(stdout);
        _exit(4);
    }
    int st;
    CHECK(waitpid(pid, &st, WSTOPPED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK(ptrace(PTRACE_SEIZE, pid, NULL, (void*)PTRACE_O_TRACESYSGOOD) == 0);
    if (interrupt) CHECK(ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == 0);
    CHECK(kill(pid, SIGCONT) == 0);
    return pid;
}

static void listen_through(pid_t pid) {
    int st;
    CHECK(waitpid(pid, &st, __WALL) == pid);
    CHECK(st == EVENT_STOP(SIGSTOP));  /* the group-stop it was seized in */
    CHECK(ptrace(PTRACE_LISTEN, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, __WALL) == pid);
    CHECK(st == EVENT_STOP(SIGTRAP));  /* SIGCONT ended the group-stop */
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
    CHECK(waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGCONT);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, (void*)SIGCONT) == 0);
    CHECK(waitpid(pid, &st, __WALL) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4);
}

int main(void) {
    for (int interrupt = 0; interrupt < 2; interrupt++) listen_through(seize_stopped_child(interrupt));
    printf("listened through the group-stop, twice\n");
    PASS();
    return 0;
}
