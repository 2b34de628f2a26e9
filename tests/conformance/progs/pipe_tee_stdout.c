/* Output copied to stdout out of a pipe inside the kernel: tee (which copies
 * without consuming) straight into stdout when it is a pipe (the runner's),
 * else into a pipe of this program's own and spliced from there; then the
 * same bytes, still in the first pipe, spliced out of it: a line into
 * stdout, the rest into a file, and some from the file to stdout (sendfile
 * when stdout is a regular file: splice needs a pipe on one side). The bytes
 * never pass through this program's memory: replay prints them only because
 * the recorder read them back (tee's from the head of its source pipe; the
 * splice's out of the pipe from its head at the call's entry, or from stdout
 * when that is a regular file). */
#include "conf.h"
#include <fcntl.h>
#include <sys/sendfile.h>

enum { LINES = 100, LINE = 32 };

/* n bytes from pipe in to stdout, as the call allows: tee when stdout is a
 * pipe, else tee into pipe `via` and splice that into stdout. */
static void tee_to_stdout(int in, const int via[2], size_t n) {
    ssize_t got = tee(in, 1, n, 0);
    if (got < 0 && errno == EINVAL) {  /* stdout is no pipe */
        CHECK(tee(in, via[1], n, 0) == (ssize_t)n);
        got = splice(via[0], NULL, 1, NULL, n, 0);
    }
    CHECK(got == (ssize_t)n);
}

int main(void) {
    int p[2], via[2];
    CHECK(pipe(p) == 0 && pipe(via) == 0);
    char text[LINES * LINE + 1];
    for (int i = 0; i < LINES; i++)  /* 32 bytes a line */
        snprintf(text + i * LINE, LINE + 1, "line %03d, in the pipe, teed.   \n", i);
    const size_t n = LINES * LINE;
    CHECK(write(p[1], text, n) == (ssize_t)n);
    tee_to_stdout(p[0], via, n);
    tee_to_stdout(p[0], via, LINE);  /* tee consumed nothing: the first line again */

    /* Now the bytes leave the pipe: the first line straight into stdout,
     * the rest into a file, then some from the file to stdout. */
    CHECK(splice(p[0], NULL, 1, NULL, LINE, 0) == LINE);
    char path[] = "/tmp/rp-conf-tee-XXXXXX";
    int f = mkstemp(path);
    CHECK(f >= 0 && unlink(path) == 0);
    CHECK(splice(p[0], NULL, f, NULL, n, 0) == (ssize_t)(n - LINE));
    const loff_t end = n - LINE;
    loff_t off = end - 3 * LINE;
    ssize_t got = splice(f, &off, 1, NULL, 3 * LINE, 0);
    if (got < 0 && errno == EINVAL) {  /* stdout is no pipe either: file to file */
        off_t o = end - 3 * LINE;
        got = sendfile(1, f, &o, 3 * LINE);
        off = o;
    }
    CHECK(got == 3 * LINE && off == end);
    printf("teed %zu bytes, spliced %d\n", n + LINE, 4 * LINE);
    PASS();
    return 0;
}
