/* SA_RESTART: a read on an empty pipe interrupted by a signal restarts and
 * later returns the bytes a child writes; without SA_RESTART it gives EINTR. */
#include "conf.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t hits;
static void on_alarm(int sig) { (void)sig; hits++; }

static void read_once(int restart) {
    int p[2];
    CHECK(pipe(p) == 0);
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0};
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(restart ? 300000 : 0);
        if (restart) CHECK(write(p[1], "late", 4) == 4);
        _exit(0);
    }
    if (!restart) close(p[1]);
    struct itimerval it = {.it_value = {0, 50000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    char buf[8];
    ssize_t n = read(p[0], buf, sizeof buf);
    if (restart) {
        CHECK(n == 4 && memcmp(buf, "late", 4) == 0);
    } else {
        /* The write end may still be open in the child: EINTR, or EOF if it exited first. */
        CHECK((n == -1 && errno == EINTR) || n == 0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    close(p[0]);
    if (restart) close(p[1]);
}

int main(void) {
    read_once(1);
    CHECK(hits == 1);
    read_once(0);
    PASS();
    return 0;
}
