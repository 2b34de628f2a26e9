/* sched_getaffinity, then pinned to one CPU: sched_getcpu must say that CPU
 * (it comes from the vDSO or rseq, not a syscall rp sees). */
#include "conf.h"
#include <sched.h>

int main(void) {
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    int first = -1;
    for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
        if (CPU_ISSET(i, &set)) first = i;
    CHECK(first >= 0);
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
    sched_yield();
    int cpu = sched_getcpu();
    CHECK(cpu == first);
    printf("pinned to cpu %d, running on %d\n", first, cpu);
    PASS();
    return 0;
}
