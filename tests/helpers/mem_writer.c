/* mem_writer MODE PID ADDR: writes 4 bytes into process PID at ADDR (hex),
 * MODE saying how: vm (process_vm_writev), mem (/proc/PID/mem), oddpath
 * (/proc/PID/task/../mem, a path replay cannot tie to a process: it does
 * not resolve ".."). The
 * cross-process write test (tests/integration/xproc_writes.sh) records it
 * writing into a process outside the recording: replay must stop with a
 * divergence report, as it cannot make that write. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s vm|mem|oddpath PID ADDR\n", argv[0]); return 2; }
    pid_t pid = atoi(argv[2]);
    unsigned long addr = strtoul(argv[3], NULL, 16);
    char bytes[4] = "rp!";
    ssize_t n;
    if (strcmp(argv[1], "vm") == 0) {
        struct iovec local = {bytes, 4}, remote = {(void *)addr, 4};
        n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
    } else {
        char path[64];
        snprintf(path, sizeof path, strcmp(argv[1], "mem") == 0 ? "/proc/%d/mem" : "/proc/%d/task/../mem",
                 (int)pid);
        int fd = open(path, O_RDWR);
        if (fd < 0) { perror(path); return 1; }
        n = pwrite(fd, bytes, 4, (off_t)addr);
    }
    printf("wrote %zd\n", n);
    return n == 4 ? 0 : 1;
}
