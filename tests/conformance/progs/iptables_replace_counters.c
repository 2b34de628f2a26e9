/* An iptables table replaced with its own rules (IPT_SO_SET_REPLACE), in a
 * network namespace of its own: the kernel writes the replaced table's
 * counters to the pointer in the struct that setsockopt passed in. */
#include "conf.h"
#include <linux/netfilter_ipv4/ip_tables.h>
#include <sched.h>
#include <stdint.h>

#include <sys/socket.h>

static int replace_table(int sock, const char *table) {
    struct ipt_getinfo info;
    memset(&info, 0, sizeof info);
    strcpy(info.name, table);
    socklen_t len = sizeof info;
    if (getsockopt(sock, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) != 0) return -1;
    socklen_t elen = sizeof(struct ipt_get_entries) + info.size;
    struct ipt_get_entries *entries = calloc(1, elen);
    strcpy(entries->name, table);
    entries->size = info.size;
    CHECK(getsockopt(sock, IPPROTO_IP, IPT_SO_GET_ENTRIES, entries, &elen) == 0);
    struct ipt_replace *r = calloc(1, sizeof *r + info.size);
    strcpy(r->name, table);
    r->valid_hooks = info.valid_hooks;
    r->num_entries = info.num_entries;
    r->size = info.size;
    memcpy(r->hook_entry, info.hook_entry, sizeof r->hook_entry);
    memcpy(r->underflow, info.underflow, sizeof r->underflow);
    r->num_counters = info.num_entries;
    struct xt_counters *counters = malloc(sizeof *counters * info.num_entries);
    memset(counters, 0xa5, sizeof *counters * info.num_entries);
    r->counters = counters;
    memcpy(r->entries, entries->entrytable, info.size);
    CHECK(setsockopt(sock, IPPROTO_IP, IPT_SO_SET_REPLACE, r, sizeof *r + info.size) == 0);
    printf("%s: %u entries, first counters %llu packets %llu bytes\n", table, info.num_entries,
           (unsigned long long)counters[0].pcnt, (unsigned long long)counters[0].bcnt);
    CHECK(counters[0].pcnt != 0xa5a5a5a5a5a5a5a5ull);
    return 0;
}

int main(void) {
    if (unshare(CLONE_NEWNET) != 0) {
        printf("no network namespace: errno %d\n", errno);
        PASS();
        return 0;
    }
    int sock = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    CHECK(sock >= 0);
    if (replace_table(sock, "filter") != 0 && replace_table(sock, "nat") != 0)
        printf("no iptables table here: errno %d\n", errno);
    PASS();
    return 0;
}
