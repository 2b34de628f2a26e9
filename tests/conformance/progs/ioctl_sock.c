/* Socket ioctls (0x89xx, no _IOC size in the number): the interface
 * requests that fill a struct ifreq (if_nametoindex, if_indextoname,
 * SIOCGIFFLAGS, SIOCGIFMTU), SIOCGIFCONF (a buffer the struct points to),
 * SIOCATMARK and SIOCGSTAMP after a datagram arrived (a time: differs from
 * run to run). Each output buffer starts as a pattern, so an output replay
 * does not write shows as another result. */
#include "conf.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <sys/time.h>

int main(void) {
    unsigned idx = if_nametoindex("lo");
    CHECK(idx > 0);
    char name[IF_NAMESIZE];
    memset(name, 0x5a, sizeof name);
    CHECK(if_indextoname(idx, name) != NULL && strcmp(name, "lo") == 0);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0);
    struct ifreq ifr;
    memset(&ifr, 0x5a, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK));
    memset(&ifr.ifr_ifru, 0x5a, sizeof ifr.ifr_ifru);
    CHECK(ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0);
    printf("lo: index %u mtu %d\n", idx, ifr.ifr_mtu);

    struct ifreq reqs[16];
    memset(reqs, 0x5a, sizeof reqs);
    struct ifconf ifc = {.ifc_len = sizeof reqs, .ifc_req = reqs};
    CHECK(ioctl(s, SIOCGIFCONF, &ifc) == 0 && ifc.ifc_len > 0);
    int found = 0;
    for (size_t i = 0; i < ifc.ifc_len / sizeof(struct ifreq); i++)
        found |= strcmp(reqs[i].ifr_name, "lo") == 0;
    CHECK(found);

    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    CHECK(bind(s, (struct sockaddr*)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr*)&a, &alen) == 0);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(c >= 0 && sendto(c, "x", 1, 0, (struct sockaddr*)&a, sizeof a) == 1);
    char b;
    CHECK(recv(s, &b, 1, 0) == 1);
    struct timeval tv;
    memset(&tv, 0x5a, sizeof tv);
    CHECK(ioctl(s, SIOCGSTAMP, &tv) == 0 && tv.tv_sec > 0);
    int mark = 0x5a5a5a5a;
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(t >= 0);
    int r = ioctl(t, SIOCATMARK, &mark);
    printf("datagram stamp %ld.%06ld, atmark %d %d\n", (long)tv.tv_sec, (long)tv.tv_usec, r, mark);
    PASS();
    return 0;
}
