/* Cross-process memory through /proc/PID/mem: the parent opens its forked
 * child's mem file and writes a marker into the child's memory, the first
 * part with pwrite at the marker's address, the rest with lseek and write
 * (the file offset is the address), and one more variable through "mem"
 * opened relative to the child's /proc directory; the child writes into its own memory
 * through /proc/self/mem. The child prints what it then finds: in replay,
 * the writes must have reached the replayed child. */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>

static char marker[32] = "old marker";
static char own[16] = "own before";
static char third[16] = "third before";

int main(void) {
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        int fd = open("/proc/self/mem", O_RDWR);
        if (fd < 0 || pwrite(fd, "own after", 10, (off_t)(uintptr_t)own) != 10) _exit(2);
        close(fd);
        if (write(to_parent[1], "r", 1) != 1) _exit(2);
        if (read(to_child[0], &c, 1) != 1) _exit(2);
        printf("child sees: %s / %s / %s\n", marker, own, third);
        fflush(stdout);
        _exit(strcmp(marker, "new-marker-from-parent") == 0 && strcmp(own, "own after") == 0 &&
                      strcmp(third, "third after") == 0
                  ? 0
                  : 3);
    }
    char c, path[64];
    CHECK(read(to_parent[0], &c, 1) == 1);
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "new-marker", 10, (off_t)(uintptr_t)marker) == 10);
    CHECK(lseek(fd, (off_t)(uintptr_t)(marker + 10), SEEK_SET) == (off_t)(uintptr_t)(marker + 10));
    CHECK(write(fd, "-from-parent", 13) == 13);
    CHECK(close(fd) == 0);
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    int dir = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    fd = openat(dir, "mem", O_RDWR);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "third after", 12, (off_t)(uintptr_t)third) == 12);
    CHECK(close(fd) == 0 && close(dir) == 0);
    CHECK(write(to_child[1], "w", 1) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
