/* race_sample: four threads add 1 to a shared counter without a lock,
 * reading it, computing a while, then writing it back: an update made by
 * another thread meanwhile is lost, so the final count differs from run to
 * run natively. A recording whose thread switches are all recorded replays
 * to the same count. Each iteration is straight-line code and few (ITER),
 * so replay's stop at a recorded instruction (hardware breakpoint, exact
 * registers) passes any instruction about ITER times per thread.
 * A thread does not stop after ITER until it has seen another thread's write
 * land between two of its own (or all the others are done): on one CPU that
 * takes a preemption in user code, so every recording has at least one
 * switch however fast the machine runs the loop. While it waits so it makes
 * a syscall every 16 iterations: replay checks that a switch point is unique
 * by running a copy of the thread alone to its next syscall (point_unique.cc),
 * and alone it would never see another thread's write. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 4
#define ITER 20000

static volatile long counter;
static volatile int finished;

#define MIX(k) x = x * 6364136223846793005ULL + (k);
#define MIX8(k) MIX(k) MIX(k + 1) MIX(k + 2) MIX(k + 3) MIX(k + 4) MIX(k + 5) MIX(k + 6) MIX(k + 7)
#define MIX64(k) MIX8(k) MIX8(k + 8) MIX8(k + 16) MIX8(k + 24) MIX8(k + 32) MIX8(k + 40) \
	MIX8(k + 48) MIX8(k + 56)

static void *work(void *arg)
{
	uint64_t x = (uintptr_t)arg;
	long written = -1;
	int interleaved = 0;

	for (long i = 0; i < ITER || (!interleaved && finished < NTHREADS - 1); i++) {
		long v = counter;
		if (written >= 0 && v != written) interleaved = 1;
		x += (uint64_t)v;
		MIX64(1) MIX64(2) MIX64(3) MIX64(4)
		counter = v + 1;
		written = v + 1;
		if (i >= ITER && i % 16 == 0) syscall(SYS_getppid);
	}
	__sync_fetch_and_add(&finished, 1);
	return (void *)(uintptr_t)(x & 1);  /* x stays live: the work is not dropped */
}

int main(void)
{
	pthread_t th[NTHREADS];
	long odd = 0;

	for (long i = 0; i < NTHREADS; i++) pthread_create(&th[i], NULL, work, (void *)(i + 1));
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		odd += (long)(uintptr_t)r;
	}
	printf("count=%ld of at least %d odd=%ld\n", counter, NTHREADS * ITER, odd);
	return 0;
}
