/* MAP_SHARED mappings written and grown: a file extended with ftruncate and
 * remapped larger, written through the mapping and with pwrite/write, and a
 * shared anonymous mapping written by a child. */
#include "conf.h"
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
    int fd = conf_temp_file();
    CHECK(ftruncate(fd, 4096) == 0);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    strcpy(m, "first page");
    CHECK(ftruncate(fd, 3 * 4096) == 0);
    m = mremap(m, 4096, 3 * 4096, MREMAP_MAYMOVE);
    CHECK(m != MAP_FAILED);
    strcpy(m + 2 * 4096, "third page");
    char back[16] = {0};
    CHECK(pread(fd, back, 10, 2 * 4096) == 10 && strcmp(back, "third page") == 0);
    CHECK(pread(fd, back, 10, 0) == 10 && memcmp(back, "first page", 10) == 0);
    int *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { anon[7] = 4242; _exit(0); }
    CHECK(waitpid(pid, NULL, 0) == pid && anon[7] == 4242);
    CHECK(pwrite(fd, "XY", 2, 4096) == 2 && m[4096] == 'X');
    CHECK(lseek(fd, 2 * 4096 + 100, SEEK_SET) == 2 * 4096 + 100);
    CHECK(write(fd, "ZW", 2) == 2 && write(fd, "V", 1) == 1);
    CHECK(memcmp(m + 2 * 4096 + 100, "ZWV", 3) == 0);
    PASS();
    return 0;
}
