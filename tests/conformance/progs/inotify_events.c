/* inotify on a directory: creating, writing and removing a file queue events. */
#include "conf.h"
#include <fcntl.h>
#include <sys/inotify.h>

int main(void) {
    char dir[] = "/tmp/rp-conf-inotify-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    int in = inotify_init1(IN_CLOEXEC);
    CHECK(in >= 0);
    int wd = inotify_add_watch(in, dir, IN_CREATE | IN_CLOSE_WRITE | IN_DELETE);
    CHECK(wd >= 0);
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
    CHECK(unlink(path) == 0);
    char buf[4096] __attribute__((aligned(8)));
    int seen = 0;
    while (seen < 3) {
        ssize_t n = read(in, buf, sizeof buf);
        CHECK(n > 0);
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            printf("event %x %s\n", ev->mask, ev->len ? ev->name : "");
            seen++;
            p += sizeof *ev + ev->len;
        }
    }
    CHECK(rmdir(dir) == 0);
    PASS();
    return 0;
}
