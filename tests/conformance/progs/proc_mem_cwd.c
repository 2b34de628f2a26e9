/* /proc mem files opened relative to the working directory: after
 * chdir("/proc"), the child writes its own memory through "self/mem" and
 * the parent the child's through "PID/mem"; after chdir into the child's
 * /proc directory, through "mem". The child prints what it then finds: in
 * replay the writes must have reached the replayed child. */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>

static char own[16] = "own before";
static char from_parent[16] = "parent before";
static char from_dir[16] = "dir before";

static int poke(const char *path, const char *what, void *where) {
    int fd = open(path, O_RDWR);
    if (fd < 0) return -1;
    int ok = pwrite(fd, what, strlen(what) + 1, (off_t)(uintptr_t)where) == (ssize_t)strlen(what) + 1;
    return close(fd) == 0 && ok ? 0 : -1;
}

int main(void) {
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        if (chdir("/proc") != 0 || poke("self/mem", "own after", own) != 0) _exit(2);
        if (write(to_parent[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1) _exit(2);
        printf("child sees: %s / %s / %s\n", own, from_parent, from_dir);
        fflush(stdout);
        _exit(strcmp(own, "own after") == 0 && strcmp(from_parent, "parent after") == 0 &&
                      strcmp(from_dir, "dir after") == 0
                  ? 0
                  : 3);
    }
    char c, rel[32];
    CHECK(read(to_parent[0], &c, 1) == 1);
    CHECK(chdir("/proc") == 0);
    snprintf(rel, sizeof rel, "%d/mem", (int)pid);
    CHECK(poke(rel, "parent after", from_parent) == 0);
    snprintf(rel, sizeof rel, "./%d/", (int)pid);
    CHECK(chdir(rel) == 0 && poke("mem", "dir after", from_dir) == 0);
    CHECK(write(to_child[1], "w", 1) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
