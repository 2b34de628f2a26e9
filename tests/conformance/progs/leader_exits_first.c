/* The main thread ends itself (SYS_exit, not exit_group) while another
 * thread runs on, writes, and ends the process with exit_group: in a child
 * (whose status the parent checks), then in the program itself. */
#include "conf.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int code;

static void *worker(void *arg) {
    (void)arg;
    usleep(20000);
    if (code == 0) PASS();
    syscall(SYS_exit_group, code);
    return NULL;
}

static void leave_main_thread(int group_code) {
    pthread_t th;
    code = group_code;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    syscall(SYS_exit, 0);
}

int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) leave_main_thread(5);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    fflush(stdout);
    leave_main_thread(0);
    return 1;
}
