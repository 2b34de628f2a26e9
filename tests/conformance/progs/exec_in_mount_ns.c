/* A program copied into a tmpfs mounted in the program's own mount
 * namespace, and exec'd from there: the file exists only in that namespace
 * (rp, outside it, must read it through the program's eyes to store it). */
#include "conf.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* In a child: its namespace, the copy, the exec. */
static void exec_copy(const char *dir) {
    if (unshare(CLONE_NEWNS) != 0) {
        printf("no mount namespace: errno %d\n", errno);
        exit(0);
    }
    CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    CHECK(mount("none", dir, "tmpfs", 0, NULL) == 0);
    char copy[64];
    snprintf(copy, sizeof copy, "%s/the_copy", dir);
    int src = open("/proc/self/exe", O_RDONLY), dst = open(copy, O_WRONLY | O_CREAT, 0700);
    CHECK(src >= 0 && dst >= 0);
    struct stat st;
    CHECK(fstat(src, &st) == 0);
    CHECK(sendfile(dst, src, NULL, st.st_size) == st.st_size);
    close(src);
    close(dst);
    /* The directory, empty outside the namespace, goes when it ends. */
    CHECK(rmdir(dir) == -1 && errno == EBUSY);
    char *args[] = {copy, "in the namespace", NULL};
    fflush(stdout);
    execv(copy, args);
    CHECK(!"execv failed");
}

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("running the copy: %s\n", argv[1]);
        return 0;
    }
    char dir[] = "/tmp/rp-conf-mnt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) exec_copy(dir);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(rmdir(dir) == 0);
    PASS();
    return 0;
}
