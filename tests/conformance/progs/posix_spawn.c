/* posix_spawn with file actions: the child's stdout goes into a pipe the
 * parent reads. */
#include "conf.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    posix_spawn_file_actions_t fa;
    CHECK(posix_spawn_file_actions_init(&fa) == 0);
    CHECK(posix_spawn_file_actions_adddup2(&fa, p[1], 1) == 0);
    CHECK(posix_spawn_file_actions_addclose(&fa, p[0]) == 0);
    char *args[] = {"echo", "spawned", NULL};
    pid_t pid;
    CHECK(posix_spawnp(&pid, "echo", &fa, NULL, args, environ) == 0);
    close(p[1]);
    char buf[64] = {0};
    ssize_t n, got = 0;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) got += n;
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("child said: %s", buf);
    PASS();
    return 0;
}
