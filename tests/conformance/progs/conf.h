/* Shared by the conformance programs: a failed check prints what failed
 * and exits 1, so a program's status says whether its behaviour held. */
#ifndef RP_CONF_H
#define RP_CONF_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d)\n", __FILE__, \
                    __LINE__, #cond, errno);                                 \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

/* A new temporary file under /tmp, already unlinked: its descriptor. */
static inline int conf_temp_file(void) {
    char path[] = "/tmp/rp-conf-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    return fd;
}

/* The fixed success line the runner looks for. */
#define PASS() do { printf("PASS %s\n", CONF_NAME); fflush(stdout); } while (0)
#endif
