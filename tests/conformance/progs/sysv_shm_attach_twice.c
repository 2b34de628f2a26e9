/* One System V segment attached twice in a process and again by a child
 * after fork: all three are the same memory. A read-only attach shows the
 * segment's bytes too. */
#include "conf.h"
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

int main(void) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    CHECK(id >= 0);
    volatile char *a = shmat(id, NULL, 0), *b = shmat(id, NULL, 0);
    CHECK(a != (void *)-1 && b != (void *)-1 && a != b);
    a[10] = 'a';
    CHECK(b[10] == 'a');
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK(shmdt((const void *)a) == 0 && shmdt((const void *)b) == 0);
        volatile char *c = shmat(id, NULL, 0);
        CHECK(c != (void *)-1 && c[10] == 'a');
        c[20] = 'c';
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(a[20] == 'c' && b[20] == 'c');
    volatile char *ro = shmat(id, NULL, SHM_RDONLY);
    CHECK(ro != (void *)-1 && ro[10] == 'a' && ro[20] == 'c');
    CHECK(shmdt((const void *)ro) == 0 && shmdt((const void *)a) == 0 && shmdt((const void *)b) == 0);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    PASS();
    return 0;
}
