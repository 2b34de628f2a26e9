/* unshare(CLONE_NEWUTS) and a clone into new UTS and IPC namespaces. */
#include "conf.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

int main(void) {
    long pid = syscall(SYS_clone, CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, NULL, NULL, NULL, NULL);
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK(sethostname("conf-child", 10) == 0);
        struct utsname u;
        CHECK(uname(&u) == 0 && strcmp(u.nodename, "conf-child") == 0);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(unshare(CLONE_NEWUTS) == 0);
    CHECK(sethostname("conf-main", 9) == 0);
    struct utsname u;
    CHECK(uname(&u) == 0 && strcmp(u.nodename, "conf-main") == 0);
    PASS();
    return 0;
}
