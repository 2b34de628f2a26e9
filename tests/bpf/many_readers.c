/* many_readers THREADS READS: THREADS threads, each making READS rounds of one
 * 1 MiB read and one 192 KiB read from /dev/zero into a buffer it then marks,
 * with 64 getpid calls between rounds. With a small ring the eBPF producer
 * cannot take most of this: the records must go through the stop-and-read path
 * (tests/bpf/zero_loss.sh). Prints the total bytes read. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int reads;

static void *reader(void *arg)
{
	long id = (long)arg, total = 0;
	const size_t sizes[2] = {1 << 20, 192 << 10};
	char *buf = malloc(sizes[0]);
	int fd = open("/dev/zero", O_RDONLY);
	if (!buf || fd < 0)
		return (void *)-1L;
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
	if (argc != 3) {
		fprintf(stderr, "usage: many_readers THREADS READS\n");
		return 2;
	}
	int n = atoi(argv[1]);
	reads = atoi(argv[2]);
	if (n < 1 || n > 64 || reads < 0)
		return 2;
	pthread_t t[64];
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, reader, (void *)i))
			return 1;
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
