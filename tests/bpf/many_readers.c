/* many_readers THREADS READS: THREADS threads, each making READS rounds of one
 * 1 MiB read and one 192 KiB read from /dev/zero into a buffer it then marks,
 * with 64 getpid calls between rounds. With a small ring the eBPF producer
 * cannot take most of this: the records must go through the stop-and-read path
 * (tests/bpf/zero_loss.sh). Prints the total bytes read.
 *
 * many_readers THREADS READS GO_FIFO: the threads are made first and wait (in
 * futex, on a barrier) while the main thread prints "ready" and waits (in
 * read) for a line on GO_FIFO: rp record -p attaches meanwhile, with every
 * thread inside a blocking syscall (tests/bpf/zero_loss_attach.sh). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int reads;
static pthread_barrier_t start;
static int wait_for_go;

static void *reader(void *arg)
{
	long id = (long)arg, total = 0;
	const size_t sizes[2] = {1 << 20, 192 << 10};
	char *buf = malloc(sizes[0]);
	int fd = open("/dev/zero", O_RDONLY);
	if (!buf || fd < 0)
		return (void *)-1L;
	if (wait_for_go)
		pthread_barrier_wait(&start);
	for (int i = 0; i < reads; i++) {
		for (int k = 0; k < 2; k++) {
			ssize_t n = read(fd, buf, sizes[k]);
			if (n <= 0)
				return (void *)-1L;
			buf[0] = (char)id;  /* touched, so that the pages are not all the zero page */
			total += n;
		}
		for (int k = 0; k < 64; k++)
			syscall(SYS_getpid);
	}
	close(fd);
	free(buf);
	return (void *)total;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: many_readers THREADS READS [GO_FIFO]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	reads = atoi(argv[2]);
	if (n < 1 || n > 64 || reads < 0)
		return 2;
	wait_for_go = argc == 4;
	if (wait_for_go && pthread_barrier_init(&start, NULL, (unsigned)n + 1))
		return 1;
	pthread_t t[64];
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, reader, (void *)i))
			return 1;
	if (wait_for_go) {
		printf("ready\n");
		fflush(stdout);
		int go = open(argv[3], O_RDONLY);
		char c;
		if (go < 0 || read(go, &c, 1) != 1)
			return 1;
		pthread_barrier_wait(&start);
	}
	long total = 0;
	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		if ((long)r < 0)
			return 1;
		total += (long)r;
	}
	printf("bytes read %ld\n", total);
	return 0;
}
