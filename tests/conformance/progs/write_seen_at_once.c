/* A write that changes the program's memory is seen right after the call,
 * before it makes another: to a file it maps shared (pwrite, write at the
 * file offset, writev, pwritev; through its descriptor and through a dup
 * made just before), and into its own memory through /proc/self/mem opened
 * long before. What it finds is kept in memory and printed at the end, so
 * that nothing else runs between a write and the look. (Replay's in-process
 * agent answers writes without stopping the program; these it must not:
 * replay applies them to memory at the call.) */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>

#define ROUNDS 20
static char target[16] = "before";
static char seen[ROUNDS][6][16];

static void note(char *to, const char *from) { memcpy(to, from, 15); }

int main(void) {
    int fd = conf_temp_file();
    CHECK(ftruncate(fd, 4096) == 0);
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    int mem = open("/proc/self/mem", O_RDWR);
    CHECK(mem >= 0);
    for (int i = 0; i < ROUNDS; i++) {
        char b[16];
        int n = snprintf(b, sizeof b, "round %02d", i) + 1;
        CHECK(pwrite(fd, b, n, 0) == n);
        note(seen[i][0], map);
        b[0] = 'W';
        CHECK(lseek(fd, 16, SEEK_SET) == 16);
        CHECK(write(fd, b, n) == n);
        note(seen[i][1], map + 16);
        b[0] = 'V';
        struct iovec v[2] = {{b, 3}, {b + 3, n - 3}};
        CHECK(writev(fd, v, 2) == n);
        note(seen[i][2], map + 16 + n);
        b[0] = 'P';
        CHECK(pwritev(fd, v, 2, 64) == n);
        note(seen[i][3], map + 64);
        b[0] = 'D';
        int d = dup(fd);
        CHECK(d >= 0);
        CHECK(pwrite(d, b, n, 96) == n);
        note(seen[i][4], map + 96);
        CHECK(close(d) == 0);
        b[0] = 'M';
        CHECK(pwrite(mem, b, n, (off_t)(uintptr_t)target) == n);
        note(seen[i][5], target);
    }
    for (int i = 0; i < ROUNDS; i++)
        printf("%s | %s | %s | %s | %s | %s\n", seen[i][0], seen[i][1], seen[i][2], seen[i][3],
               seen[i][4], seen[i][5]);
    CHECK(strcmp(seen[ROUNDS - 1][5], "Mound 19") == 0);
    CHECK(strcmp(seen[ROUNDS - 1][0], "round 19") == 0);
    PASS();
    return 0;
}
