/* A child writes into a pipe nobody reads: SIGPIPE kills it inside the
 * write. The bytes come from a page it never touched, which a kernel
 * backend cannot read at the call (no page faults there) and reads from
 * the stopped thread instead: that thread dies first. */
#include "conf.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
    for (int i = 0; i < 3; i++) {
        pid_t child = fork();
        CHECK(child >= 0);
        if (child == 0) {
            int fds[2];
            CHECK(pipe(fds) == 0 && close(fds[0]) == 0);
            char *fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            CHECK(fresh != MAP_FAILED);
            write(fds[1], fresh, 1);
            _exit(9);  /* not reached */
        }
        int status;
        CHECK(waitpid(child, &status, 0) == child);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
    }
    printf("three children died of SIGPIPE\n");
    PASS();
    return 0;
}
