/* System V shared memory: shmget, shmat, a child writes, the parent reads,
 * shmctl IPC_STAT, shmdt, IPC_RMID. */
#include "conf.h"
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

int main(void) {
    int id = shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600);
    CHECK(id >= 0);
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1);
    strcpy(p, "parent");
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        strcpy(p + 4096, "child");
        _exit(strcmp(p, "parent") == 0 ? 0 : 1);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(strcmp(p + 4096, "child") == 0);
    struct shmid_ds ds;
    CHECK(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 3 * 4096 && ds.shm_nattch == 1);
    CHECK(shmdt(p) == 0);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    printf("shmid %d\n", id);
    PASS();
    return 0;
}
