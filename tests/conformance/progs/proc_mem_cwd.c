/* /proc mem files opened relative to the working directory: after
 * chdir("/proc"), the child writes its own memory through "self/mem" and
 * the parent the child's through "PID/mem"; after chdir into the child's
 * /proc directory, through "mem". The child prints what it then finds: in
 * replay the writes must have reached the replayed child. */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
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

/* The child: pokes its own memory, lets the parent poke it, prints what it has. */
static int child(int sock) {
    char c;
    if (chdir("/proc") != 0 || poke("self/mem", "own after", own) != 0) return 2;
    if (send(sock, "r", 1, 0) != 1 || recv(sock, &c, 1, 0) != 1) return 2;
    printf("child sees: %s / %s / %s\n", own, from_parent, from_dir);
    fflush(stdout);
    int all = !strcmp(own, "own after") && !strcmp(from_parent, "parent after") &&
              !strcmp(from_dir, "dir after");
    return all ? 0 : 3;
}

int main(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit(child(sv[1]));
    char c, rel[32];
    CHECK(recv(sv[0], &c, 1, 0) == 1);
    CHECK(chdir("/proc") == 0);
    snprintf(rel, sizeof rel, "%d/mem", (int)pid);
    CHECK(poke(rel, "parent after", from_parent) == 0);
    snprintf(rel, sizeof rel, "./%d/", (int)pid);
    CHECK(chdir(rel) == 0 && poke("mem", "dir after", from_dir) == 0);
    CHECK(send(sv[0], "w", 1, 0) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    PASS();
    return 0;
}
