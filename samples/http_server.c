/* http_server: a small single-process, single-threaded HTTP/1.0 server for
 * the flight recorder (`rp record --ring`), driven by `ab` or curl.
 * Usage: http_server PORT [MIB [logger]]  (PORT 0: any free port). Prints
 * "listening on PORT" once it accepts, then one line per request on stdout:
 *   GET /key?name=NAME   -> 200, body "NAME: N\n" (N, 8 digits: how often NAME was asked)
 *   GET /count           -> 200, body "served N\n"
 *   anything else        -> 404
 * BUG: /key?name= (an empty name) looks up a slot that is never filled and
 * dereferences NULL (SIGSEGV), after any number of good requests.
 * MIB: allocate that many MiB at start and fill them (not zeros): a large
 * resident process, for measuring the snapshot's pause and size.
 * "logger" after MIB: the request lines go through a pipe to a second
 * thread, which writes them to stdout and acknowledges each write before the
 * request is answered (so the logger is mostly blocked in read), and a
 * third thread waits forever in a read nothing answers. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOTS 64

struct slot {
    char name[32];
    long hits;
};

static struct slot *slots[SLOTS];
static long served;
static int log_pipe[2] = {-1, -1}, ack_pipe[2] = {-1, -1};

/* Waits for a line on a pipe nobody writes: a thread blocked for good. */
static void *idle(void *arg) {
    (void)arg;
    int never[2];
    char c;
    if (pipe(never) != 0) return NULL;
    ssize_t n = read(never[0], &c, 1);
    return (void *)n;
}

static void *logger(void *arg) {
    (void)arg;
    char buf[512];
    for (;;) {
        ssize_t n = read(log_pipe[0], buf, sizeof buf);
        if (n <= 0) return NULL;
        if (write(1, buf, (size_t)n) < 0 || write(ack_pipe[1], "", 1) != 1) return NULL;
    }
}

static unsigned hash(const char *s) {
    unsigned h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

/* noinline: the crashing frame `bt` must show. */
__attribute__((noinline)) static struct slot *lookup(const char *name) {
    unsigned i = hash(name) % SLOTS;
    if (!*name) return slots[i]; /* the bug: never allocated for "" */
    if (!slots[i]) slots[i] = calloc(1, sizeof(struct slot));
    if (strcmp(slots[i]->name, name) != 0) {
        snprintf(slots[i]->name, sizeof slots[i]->name, "%s", name);
        slots[i]->hits = 0;
    }
    return slots[i];
}

static void reply(int c, int code, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                     code, code == 200 ? "OK" : "Not Found", strlen(body));
    if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0) return;
}

static void serve(int c) {
    char req[2048];
    size_t got = 0;
    while (got < sizeof req - 1) {
        ssize_t n = read(c, req + got, sizeof req - 1 - got);
        if (n <= 0) break;
        got += (size_t)n;
        req[got] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[got] = 0;
    char path[256] = "";
    if (sscanf(req, "GET %255s", path) != 1) return;
    served++;
    char body[128];
    int code = 200;
    if (strncmp(path, "/key?name=", 10) == 0) {
        struct slot *s = lookup(path + 10);
        s->hits++;
        /* Fixed width: ab counts answers of another length as failed. */
        snprintf(body, sizeof body, "%s: %08ld\n", s->name, s->hits);
    } else if (strcmp(path, "/count") == 0) {
        snprintf(body, sizeof body, "served %08ld\n", served);
    } else {
        code = 404;
        snprintf(body, sizeof body, "no such page\n");
    }
    char line[320];
    int n = snprintf(line, sizeof line, "%ld GET %s -> %d\n", served, path, code);
    if (write(log_pipe[1] >= 0 ? log_pipe[1] : 1, line, (size_t)n) < 0) return;
    char ack;
    if (log_pipe[1] >= 0 && read(ack_pipe[0], &ack, 1) != 1) return;
    reply(c, code, body);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: http_server PORT [MIB [logger]]\n");
        return 2;
    }
    if (argc > 2) {
        size_t bytes = (size_t)atol(argv[2]) << 20;
        char *big = malloc(bytes);
        if (!big) return 3;
        for (size_t i = 0; i < bytes; i += 64) big[i] = (char)(i >> 12 | 1);
    }
    if (argc > 3 && strcmp(argv[3], "logger") == 0) {
        pthread_t t, u;
        if (pipe(log_pipe) != 0 || pipe(ack_pipe) != 0 ||
            pthread_create(&t, NULL, logger, NULL) != 0 || pthread_create(&u, NULL, idle, NULL) != 0)
            return 4;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 128) != 0) {
        perror("http_server");
        return 1;
    }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("listening on %d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        serve(c);
        close(c);
    }
}
