/* keyctl sub-commands whose outputs depend on the command: add a user key,
 * describe it, read it back, search for it. */
#include "conf.h"
#include <linux/keyctl.h>
#include <sys/syscall.h>

int main(void) {
    long key = syscall(SYS_add_key, "user", "rp-conf-key", "secret-bytes", 12,
                       KEY_SPEC_PROCESS_KEYRING);
    CHECK(key > 0);
    char desc[256] = {0};
    long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, key, desc, sizeof desc);
    CHECK(n > 0 && strstr(desc, "rp-conf-key") != NULL);
    char data[64] = {0};
    n = syscall(SYS_keyctl, KEYCTL_READ, key, data, sizeof data);
    CHECK(n == 12 && memcmp(data, "secret-bytes", 12) == 0);
    long found = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_PROCESS_KEYRING, "user",
                         "rp-conf-key", 0);
    CHECK(found == key);
    long ring = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0);
    CHECK(ring > 0);
    printf("key %ld ring %ld\n", key, ring);
    PASS();
    return 0;
}
