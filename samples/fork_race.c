/* fork_race: a parent and its forked child both increment a counter in
 * MAP_SHARED anonymous memory without atomics; updates get lost when the two
 * processes run at the same time, so the printed total differs between runs.
 * Replay must print the recorded total: the processes' accesses to memory
 * they share must be ordered as they were while recording. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 20000000

int main(void) {
    volatile unsigned long *counter =
        mmap(NULL, sizeof *counter, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counter == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    for (int i = 0; i < ROUNDS; i++) *counter = *counter + 1;
    if (child == 0) _exit(0);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
        fprintf(stderr, "child failed\n");
        return 1;
    }
    printf("total=%lu lost=%lu\n", *counter, 2UL * ROUNDS - *counter);
    return 0;
}
