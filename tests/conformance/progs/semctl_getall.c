/* System V semaphores: SETALL, semop, GETALL and IPC_STAT write arrays and structures. */
#include "conf.h"
#include <sys/ipc.h>
#include <sys/sem.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

int main(void) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    CHECK(id >= 0);
    unsigned short init[3] = {1, 2, 3};
    CHECK(semctl(id, 0, SETALL, (union semun){.array = init}) == 0);
    struct sembuf op = {.sem_num = 1, .sem_op = 5};
    CHECK(semop(id, &op, 1) == 0);
    unsigned short vals[3] = {0};
    CHECK(semctl(id, 0, GETALL, (union semun){.array = vals}) == 0);
    CHECK(vals[0] == 1 && vals[1] == 7 && vals[2] == 3);
    struct semid_ds ds;
    memset(&ds, 0, sizeof ds);
    CHECK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}) == 0 && ds.sem_nsems == 3);
    CHECK(semctl(id, 2, GETVAL) == 3);
    printf("semid %d\n", id);
    CHECK(semctl(id, 0, IPC_RMID) == 0);
    PASS();
    return 0;
}
