/* vfork_exec: a vfork child that execs. The parent vforks; the child
 * execs this same program with the argument "child", which runs
 * exec_child() and exits with 5; the parent, resumed once the child has
 * exec'd, waits for it in after_vfork() and exits with the child's status
 * plus 1 (6). tests/gdb/vfork_follow.sh follows either side in gdb. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static int exec_child(void) {
    printf("child %ld runs the exec'd program\n", (long)getpid());
    fflush(stdout);
    return 5;
}

__attribute__((noinline)) static int after_vfork(pid_t kid) {
    int status = 0;
    if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status)) return 1;
    printf("parent %ld: child %ld exited with %d\n", (long)getpid(), (long)kid,
           WEXITSTATUS(status));
    return WEXITSTATUS(status) + 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) return exec_child();
    pid_t kid = vfork();
    if (kid < 0) return 2;
    if (kid == 0) {
        execl(argv[0], argv[0], "child", (char *)NULL);
        _exit(3);
    }
    return after_vfork(kid);
}
