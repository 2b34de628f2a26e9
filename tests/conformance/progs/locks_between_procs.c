/* A child holds an fcntl record lock and a flock; the parent sees them
 * (F_GETLK names the child, LOCK_NB fails) until the child lets go. */
#include "conf.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

int main(void) {
    char path[] = "/tmp/rp-conf-locks-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int up[2], down[2];
    CHECK(pipe(up) == 0 && pipe(down) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        int f = open(path, O_RDWR);
        struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
        if (f < 0 || fcntl(f, F_SETLK, &l) != 0 || flock(f, LOCK_EX) != 0) _exit(2);
        if (write(up[1], "l", 1) != 1 || read(down[0], &c, 1) != 1) _exit(2);
        _exit(0);
    }
    char c;
    CHECK(read(up[0], &c, 1) == 1);
    int f2 = open(path, O_RDWR);
    CHECK(f2 >= 0);
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    CHECK(fcntl(fd, F_GETLK, &q) == 0 && q.l_type == F_WRLCK && q.l_pid == pid);
    CHECK(flock(f2, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);
    CHECK(write(down[1], "u", 1) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(flock(f2, LOCK_EX | LOCK_NB) == 0);
    printf("lock held by child %s\n", q.l_pid == pid ? "seen" : "not seen");
    CHECK(unlink(path) == 0);
    PASS();
    return 0;
}
