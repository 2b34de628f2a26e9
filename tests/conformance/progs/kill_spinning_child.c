/* SIGKILL of a child that is running user code and never makes a syscall:
 * a tracer sees no stop for it, so the trace has no point where it died.
 * One child spins on private memory; another counts in memory it shares
 * with the parent (MAP_SHARED), which prints the count it reached when
 * killed (differs from run to run): replay must end each child where the
 * recording did, not hang waiting for a stop that never comes. The counting
 * child counts once and says so on a pipe before it spins: on a loaded
 * machine it was once not scheduled at all in the 30 ms before its kill
 * (CI, natively: the count stood at 0). */
#include "conf.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static void kill_after(pid_t c, long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
    CHECK(kill(c, SIGKILL) == 0);
    int st = 0;
    CHECK(waitpid(c, &st, 0) == c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0)
        for (;;) __asm__ volatile("");
    kill_after(c, 30);

    volatile unsigned long* count =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(count != MAP_FAILED);
    int started[2];
    CHECK(pipe(started) == 0);
    c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        (*count)++;
        if (write(started[1], "s", 1) != 1) _exit(1);
        for (;;) (*count)++;
    }
    char s;
    CHECK(read(started[0], &s, 1) == 1);
    kill_after(c, 30);
    unsigned long at_kill = *count;
    CHECK(at_kill > 0);
    printf("the shared counter stood at %lu when its child was killed\n", at_kill);
    PASS();
    return 0;
}
