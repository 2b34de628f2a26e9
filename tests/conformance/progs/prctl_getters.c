/* prctl getters, some returning a value, some writing through a pointer. */
#include "conf.h"
#include <signal.h>
#include <sys/prctl.h>

int main(void) {
    CHECK(prctl(PR_SET_NAME, "conf-name") == 0);
    char name[17] = {0};
    CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "conf-name") == 0);
    CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR2) == 0);
    int sig = 0;
    CHECK(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == SIGUSR2);
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    int reaper = 0;
    CHECK(prctl(PR_GET_CHILD_SUBREAPER, &reaper) == 0 && reaper == 1);
    void *tid_addr = NULL;
    CHECK(prctl(PR_GET_TID_ADDRESS, &tid_addr) == 0 && tid_addr != NULL);
    CHECK(prctl(PR_GET_DUMPABLE) == 1);
    CHECK(prctl(PR_GET_TIMERSLACK) > 0);
    CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
    /* The replay sandbox has no capabilities: these must answer as recorded. */
    printf("bounding CAP_CHOWN %d\n", prctl(PR_CAPBSET_READ, 0, 0, 0, 0));
    printf("ambient CAP_CHOWN %d\n", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0));
    PASS();
    return 0;
}
