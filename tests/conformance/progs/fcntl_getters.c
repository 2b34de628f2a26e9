/* fcntl getters that write through a pointer: F_GETOWN_EX, F_GET_RW_HINT,
 * F_GETPIPE_SZ, F_OFD_GETLK. */
#include "conf.h"
#include <fcntl.h>
#include <stdint.h>

int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    struct f_owner_ex own = {.type = F_OWNER_TID, .pid = getpid()};
    CHECK(fcntl(p[0], F_SETOWN_EX, &own) == 0);
    struct f_owner_ex got;
    memset(&got, 0xaa, sizeof got);
    CHECK(fcntl(p[0], F_GETOWN_EX, &got) == 0);
    CHECK(got.type == F_OWNER_TID && got.pid == getpid());
    CHECK(fcntl(p[0], F_GETPIPE_SZ) > 0);
    int fd = conf_temp_file();
    uint64_t hint = RWH_WRITE_LIFE_SHORT;
    CHECK(fcntl(fd, F_SET_RW_HINT, &hint) == 0);
    uint64_t back = 0xdead;
    CHECK(fcntl(fd, F_GET_RW_HINT, &back) == 0 && back == RWH_WRITE_LIFE_SHORT);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
    CHECK(fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);
    printf("owner %d\n", got.pid);
    PASS();
    return 0;
}
