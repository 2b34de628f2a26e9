/* The bpf syscall's outputs: a map lookup's value (a per-CPU map's too, one
 * per possible CPU), GET_NEXT_KEY's key, an object's info with the length
 * the kernel sets in attr, and the verifier's log of a refused program.
 * Needs CAP_SYS_ADMIN (or unprivileged bpf); without, says so. */
#include "conf.h"
#include <linux/bpf.h>
#include <stdint.h>
#include <sys/syscall.h>

static long bpf(int cmd, union bpf_attr *attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int map_create(int type, unsigned value_size) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = type;
    a.key_size = 4;
    a.value_size = value_size;
    a.max_entries = 4;
    return (int)bpf(BPF_MAP_CREATE, &a);
}

static void hash_map(int fd) {
    union bpf_attr a;
    uint32_t key = 7, next = 0xa5a5a5a5;
    uint64_t value = 1234567, got = 0xa5a5a5a5a5a5a5a5ull;
    memset(&a, 0, sizeof a);
    a.map_fd = fd;
    a.key = (uintptr_t)&key;
    a.value = (uintptr_t)&value;
    CHECK(bpf(BPF_MAP_UPDATE_ELEM, &a) == 0);
    a.value = (uintptr_t)&got;
    CHECK(bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0);
    printf("lookup: %llu\n", (unsigned long long)got);
    CHECK(got == value);
    uint32_t none = 99;
    a.key = (uintptr_t)&none;
    a.next_key = (uintptr_t)&next;
    CHECK(bpf(BPF_MAP_GET_NEXT_KEY, &a) == 0);
    printf("next key: %u\n", next);
    CHECK(next == key);
    struct bpf_map_info info;
    memset(&info, 0xa5, sizeof info);
    memset(&a, 0, sizeof a);
    a.info.bpf_fd = fd;
    a.info.info_len = sizeof info;
    a.info.info = (uintptr_t)&info;
    CHECK(bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0);
    printf("info: %u bytes, type %u, key %u value %u entries %u\n", a.info.info_len, info.type,
           info.key_size, info.value_size, info.max_entries);
    CHECK(info.key_size == 4 && info.value_size == 8);
}

static void percpu_map(int fd) {
    union bpf_attr a;
    uint32_t key = 1;
    uint64_t values[1024];
    memset(values, 0xa5, sizeof values);
    memset(&a, 0, sizeof a);
    a.map_fd = fd;
    a.key = (uintptr_t)&key;
    a.value = (uintptr_t)values;
    CHECK(bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0);
    printf("per-CPU values: %llu %llu\n", (unsigned long long)values[0],
           (unsigned long long)values[1]);
}

static void refused_program(void) {
    static char log[4096];
    struct bpf_insn insns[] = {{.code = BPF_JMP | BPF_EXIT}};  /* r0 never set */
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    a.insns = (uintptr_t)insns;
    a.insn_cnt = 1;
    a.license = (uintptr_t)"GPL";
    a.log_buf = (uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    long r = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
    printf("load: %ld errno %d, log: %.60s\n", r, r < 0 ? errno : 0, log);
    CHECK(r < 0 && log[0]);
}

int main(void) {
    int fd = map_create(BPF_MAP_TYPE_HASH, 8);
    if (fd < 0) {
        printf("no bpf maps here: errno %d\n", errno);
        PASS();
        return 0;
    }
    hash_map(fd);
    int pc = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4);
    CHECK(pc >= 0);
    percpu_map(pc);
    refused_program();
    PASS();
    return 0;
}
