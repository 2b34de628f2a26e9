/* pids: nondeterminism from process/thread ids (getpid, getppid, gettid).
 * Each native run gets fresh ids; replay must print the recorded ones.
 * A test records it, then compares replay stdout with the recorded stdout. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    long pid = (long)getpid();
    long ppid = (long)getppid();
    long tid = syscall(SYS_gettid);
    printf("pid=%ld ppid=%ld tid=%ld\n", pid, ppid, tid);
    fflush(stdout);
    return 0;
}
