// The program of killed_prefix.sh: writes the lines "1\n" .. "COUNT\n" to
// stdout, one write(2) each, as fast as it can, then exits 0. Between the
// lines it gives rp's supervisor events of its own to record beside the
// kernel backend's syscall records: an rdtsc every 16 lines (x86_64) and a
// signal to itself every 4096. Its end is fixed (COUNT), so a test that
// fails to stop it is still bounded.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static volatile sig_atomic_t signals;

static void on_usr1(int sig) {
  (void)sig;
  signals++;
}

int main(int argc, char** argv) {
  long count = argc > 1 ? atol(argv[1]) : 1000;
  signal(SIGUSR1, on_usr1);
  char line[32];
  volatile unsigned long long tsc = 0;
  for (long i = 1; i <= count; i++) {
#if defined(__x86_64__)
    if (i % 16 == 0) tsc = __rdtsc();
#endif
    if (i % 4096 == 0) raise(SIGUSR1);
    int n = snprintf(line, sizeof line, "%ld\n", i);
    if (write(1, line, (size_t)n) != n) return 1;
  }
  (void)tsc;
  return 0;
}
