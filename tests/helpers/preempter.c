/* preempter CPU MICROSECONDS: a real-time (SCHED_FIFO) thread on CPU that
 * wakes every MICROSECONDS until killed. Each wake preempts whatever runs
 * there, wherever it is, so the threads tests that need a switch at a rare
 * point (a new thread's first instruction) get one in most recordings, on a
 * quiet machine or a loaded one: busy loops alone gave 0 or 1 a recording,
 * and none in 30 under CI's QEMU load. Needs root (SCHED_FIFO). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s CPU MICROSECONDS\n", argv[0]); return 2; }
    const int cpu = atoi(argv[1]);
    const long us = atol(argv[2]);
    if (us <= 0 || us >= 1000000) { fprintf(stderr, "preempter: bad period %s\n", argv[2]); return 2; }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("preempter: sched_setaffinity"); return 1; }
    const struct sched_param fifo = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &fifo) != 0) { perror("preempter: sched_setscheduler"); return 1; }
    const struct timespec pause = {0, us * 1000};
    for (;;) clock_nanosleep(CLOCK_MONOTONIC, 0, &pause, NULL);
}
