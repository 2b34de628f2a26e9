/* A periodic timerfd waited for with epoll; its expiration count is read. */
#include "conf.h"
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

int main(void) {
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    CHECK(tfd >= 0);
    struct itimerspec its = {.it_interval = {0, 5000000}, .it_value = {0, 5000000}};
    CHECK(timerfd_settime(tfd, 0, &its, NULL) == 0);
    int ep = epoll_create1(0);
    CHECK(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == 0);
    uint64_t total = 0;
    for (int i = 0; i < 5; i++) {
        struct epoll_event out;
        CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u64 == 77);
        uint64_t n;
        CHECK(read(tfd, &n, 8) == 8 && n >= 1);
        total += n;
    }
    printf("expirations %llu\n", (unsigned long long)total);
    PASS();
    return 0;
}
