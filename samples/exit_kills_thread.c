/* exit_kills_thread: a worker thread blocks in read(2) on a pipe nobody
 * writes while main prints a random number and exits: exit_group ends the
 * worker inside its syscall, which therefore never returns. The recording
 * holds that unfinished call; replay must end the same way. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

static int fds[2];

static void *worker(void *arg) {
    (void)arg;
    char c;
    if (read(fds[0], &c, 1) < 0) perror("read");
    return NULL;
}

int main(void) {
    unsigned v = 0;
    pthread_t t;
    if (pipe(fds) != 0) return 1;
    pthread_create(&t, NULL, worker, NULL);
    usleep(20000);  /* let the worker block */
    if (getrandom(&v, sizeof v, 0) != sizeof v) return 1;
    printf("value=%08x\n", v);
    fflush(stdout);
    exit(3);
}
