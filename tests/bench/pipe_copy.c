#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* pipe_copy N: N rounds of 64 bytes written into a pipe, tee'd to stdout and
 * spliced to stdout (docs/performance.md, "Output copied out of a pipe").
 * Built by hand: gcc -O2 -o pipe_copy pipe_copy.c; run with stdout piped. */
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000, p[2];
    char buf[64];
    for (int i = 0; i < 64; i++) buf[i] = 'a' + i % 26;
    buf[63] = '\n';
    if (pipe(p)) return 1;
    for (int i = 0; i < n; i++) {
        if (write(p[1], buf, 64) != 64) return 2;
        if (tee(p[0], 1, 64, 0) != 64) return 3;
        if (splice(p[0], NULL, 1, NULL, 64, 0) != 64) return 4;
    }
    return 0;
}
