/* A tracer that learns of its tracee's stops as gdb does: a SIGCHLD handler
 * writes to a pipe, and the tracer asks waitpid(WNOHANG) after each wake-up,
 * sleeping in poll() when it says nothing is there yet. A stop that comes
 * while such a waitpid runs must still send SIGCHLD (rp once kept it for a
 * restart of that wait, which never came: the tracer slept in poll). The
 * tracee stops 300 times (raise(SIGSTOP)); each must be seen within 10 s. */
#include "conf_ptrace.h"
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static int wake[2];

static void on_sigchld(int sig) {
    (void)sig;
    char c = 1;
    (void)!write(wake[1], &c, 1);
}

int main(void) {
    enum { kStops = 300 };
    CHECK(pipe2(wake, O_NONBLOCK | O_CLOEXEC) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        for (int i = 0; i < kStops; i++) raise(SIGSTOP);
        _exit(0);
    }
    int seen = 0;
    for (;;) {
        CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
        int st;
        pid_t got;
        while ((got = waitpid(pid, &st, WNOHANG)) == 0) {
            struct pollfd p = {wake[0], POLLIN, 0};
            int n = poll(&p, 1, 10000);
            if (n == 0) {
                fprintf(stderr, "no SIGCHLD within 10 s of stop %d\n", seen + 1);
                return 1;
            }
            char buf[64];
            while (read(wake[0], buf, sizeof buf) > 0) {
            }
        }
        CHECK(got == pid);
        if (WIFEXITED(st)) break;
        CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
        seen++;
    }
    printf("saw %d stops\n", seen);
    CHECK(seen == kStops);
    PASS();
    return 0;
}
