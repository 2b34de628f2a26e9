/* readlink /proc/self/exe, uname, sysinfo, times, getrusage: values of the
 * machine and the run, printed. */
#include "conf.h"
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

int main(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = 0;
    CHECK(strstr(exe, CONF_NAME) != NULL);
    struct utsname u;
    CHECK(uname(&u) == 0);
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0 && si.totalram > 0);
    struct tms t;
    clock_t c = times(&t);
    CHECK(c != (clock_t)-1);
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    printf("exe %s\nsys %s %s %s\nuptime %ld procs %u\nticks %ld utime %ld maxrss %ld\n", exe,
           u.sysname, u.release, u.machine, si.uptime, si.procs, (long)c,
           (long)ru.ru_utime.tv_usec, ru.ru_maxrss);
    PASS();
    return 0;
}
