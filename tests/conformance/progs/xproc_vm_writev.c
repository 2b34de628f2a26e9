/* Cross-process memory: the parent writes a marker into its forked child's
 * memory with process_vm_writev (two remote pieces from two local ones, so
 * the order of the pieces matters), and reads a value the child set with
 * process_vm_readv; it also writes into its own memory the same way. The
 * child prints what it then finds in its memory: in replay, the write must
 * have reached the replayed child. */
#include "conf.h"
#include <sys/uio.h>
#include <sys/wait.h>

static char marker[32] = "old marker";
static char own[16] = "own before";
static volatile long child_value;

int main(void) {
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        child_value = 424242;
        if (write(to_parent[1], "r", 1) != 1) _exit(2);
        if (read(to_child[0], &c, 1) != 1) _exit(2);
        printf("child sees: %s\n", marker);
        fflush(stdout);
        _exit(strcmp(marker, "new-marker-from-parent") == 0 ? 0 : 3);
    }
    char c;
    CHECK(read(to_parent[0], &c, 1) == 1);
    long seen = 0;
    struct iovec lr = {&seen, sizeof seen}, rr = {(void *)&child_value, sizeof seen};
    CHECK(process_vm_readv(pid, &lr, 1, &rr, 1, 0) == sizeof seen);
    printf("parent read from child: %ld\n", seen);
    char a[] = "new-marker", b[] = "-from-parent";
    struct iovec local[2] = {{a, 10}, {b, sizeof b}};
    struct iovec remote[2] = {{marker, 5}, {marker + 5, 10 + sizeof b - 5}};
    CHECK(process_vm_writev(pid, local, 2, remote, 2, 0) == (ssize_t)(10 + sizeof b));
    struct iovec lo = {"own after", 10}, ro = {own, 10};
    CHECK(process_vm_writev(getpid(), &lo, 1, &ro, 1, 0) == 10);
    printf("parent sees: %s\n", own);
    CHECK(strcmp(own, "own after") == 0);
    CHECK(write(to_child[1], "w", 1) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
