/* shared_spin MODE: a process that maps writable shared memory forks a
 * child; both then run a busy loop with no syscalls (integration
 * test shared_slot). MODE fork: the child loops itself, sharing the page.
 * MODE exec: the child execs this program with MODE spin, which loops in a
 * fresh address space. The parent waits for the child's exec or close of
 * an O_CLOEXEC pipe before it loops, so the two loops overlap. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

static void spin(void) {
    for (unsigned long i = 0; i < 300000000UL; i++) sink += i;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s fork|exec|spin\n", argv[0]); return 2; }
    if (strcmp(argv[1], "spin") == 0) { spin(); return 0; }
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) { perror("mmap"); return 1; }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) { perror("pipe2"); return 1; }
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        close(p[0]);
        if (strcmp(argv[1], "exec") == 0) {
            execl("/proc/self/exe", argv[0], "spin", (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        spin();
        shared[0] = 1;
        _exit(0);
    }
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 0) { fprintf(stderr, "unexpected byte\n"); return 1; }
    spin();
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed\n");
        return 1;
    }
    printf("%s: done\n", argv[1]);
    return 0;
}
