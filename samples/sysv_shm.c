/* sysv_shm: System V shared memory, a host object replay must not touch
 * (tests/security/shm.sh).
 *   sysv_shm set KEY TEXT   create the segment KEY if needed, store TEXT in it
 *   sysv_shm show KEY       print what the segment holds
 *   sysv_shm rm KEY         remove it
 *   sysv_shm use KEY        the program under test: attach, print what it
 *                           holds, write a message of its own, detach; a
 *                           forked child sees that message through the
 *                           inherited attachment. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kSize = 8192 };

static char *attach(key_t key) {
    int id = shmget(key, kSize, IPC_CREAT | 0600);
    if (id < 0) {
        perror("shmget");
        exit(2);
    }
    char *p = shmat(id, NULL, 0);
    if (p == (char *)-1) {
        perror("shmat");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sysv_shm set|show|rm|use KEY [TEXT]\n");
        return 2;
    }
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    if (!strcmp(argv[1], "rm")) {
        int id = shmget(key, 0, 0);
        return id >= 0 && shmctl(id, IPC_RMID, NULL) == 0 ? 0 : 1;
    }
    char *p = attach(key);
    if (!strcmp(argv[1], "set") && argc > 3) {
        snprintf(p, kSize, "%s", argv[3]);
    } else if (!strcmp(argv[1], "show")) {
        printf("%s\n", p);
    } else if (!strcmp(argv[1], "use")) {
        printf("found: %s\n", p);
        snprintf(p, kSize, "written by pid %d", (int)getpid());
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            printf("child sees: %s\n", p);
            return 0;
        }
        int status;
        waitpid(child, &status, 0);
        printf("child exit %d\n", WEXITSTATUS(status));
    }
    return shmdt(p) == 0 ? 0 : 1;
}
