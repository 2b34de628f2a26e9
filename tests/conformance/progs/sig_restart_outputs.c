/* What restart_syscall writes is the continued call's output: a nanosleep
 * stopped by SIGSTOP and continued resumes through restart_syscall, which
 * writes the time left when a handled SIGALRM then ends it with EINTR; a poll
 * stopped and continued the same way gets its revents from restart_syscall
 * when the pipe becomes readable. */
#include "conf.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void on_alarm(int sig) { (void)sig; }

/* The state letter of /proc/PID/stat ('S' sleeping, 'T' stopped...). */
static char state_of(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

/* Until its state is one of `want` ('t': a stop a tracer sees, as under rp). */
static void wait_state(pid_t pid, const char *want) {
    for (int i = 0; i < 20000 && !strchr(want, state_of(pid)); i++) usleep(500);
}

/* The child: stops the parent in its blocking call, continues it, waits
 * until it blocks again (in restart_syscall), then ends the call with `end`. */
static void stop_continue_then(pid_t parent, void (*end)(pid_t, int), int fd) {
    wait_state(parent, "S");
    usleep(20000);
    kill(parent, SIGSTOP);
    wait_state(parent, "Tt");
    kill(parent, SIGCONT);
    wait_state(parent, "S");
    usleep(20000);
    end(parent, fd);
    _exit(0);
}

static void send_alarm(pid_t parent, int fd) { (void)fd; kill(parent, SIGALRM); }
static void write_byte(pid_t parent, int fd) { (void)parent; CHECK(write(fd, "x", 1) == 1); }

int main(void) {
    struct sigaction sa = {.sa_handler = on_alarm};  /* no SA_RESTART: EINTR */
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    pid_t parent = getpid();
    fflush(stdout);

    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) stop_continue_then(parent, send_alarm, -1);
    struct timespec req = {20, 0}, rem = {0, 0};
    CHECK(nanosleep(&req, &rem) == -1 && errno == EINTR);
    CHECK(rem.tv_sec < 20 && (rem.tv_sec > 0 || rem.tv_nsec > 0));
    printf("time left %ld.%09ld s\n", (long)rem.tv_sec, rem.tv_nsec);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    int p[2];
    CHECK(pipe(p) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) stop_continue_then(parent, write_byte, p[1]);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN, .revents = 0};
    CHECK(poll(&pfd, 1, 20000) == 1);
    CHECK(pfd.revents == POLLIN);
    printf("poll revents %#x\n", pfd.revents);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
