// A tracer with a worker thread (tests/bpf/tracer_threads.sh): the main
// thread traces a child (PTRACE_TRACEME), so under a kernel backend every
// syscall of both threads stops at its entry and exit (rp emulates the
// ptrace). 40 rounds: main hands the worker a job under a mutex, the worker
// counts to 200000 in a shared word without a lock, main reads the word
// after 20 getpid (a racy read: what it sees depends on where the worker
// was), and both meet again on the mutex and condition variable. Prints
// what main saw each round: a replay must print the same.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRounds = 40, kCount = 200000 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int job, done, quit;
static volatile long counter;

static void* worker(void* arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (!job && !quit) pthread_cond_wait(&cv, &mu);
    if (quit) break;
    job = 0;
    pthread_mutex_unlock(&mu);
    for (long i = 0; i < kCount; i++) counter++;
    free(malloc(100 + counter % 1000));
    pthread_mutex_lock(&mu);
    done = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

// The traced child: stops once, then makes calls its tracer steps through.
static pid_t start_tracee(void) {
  pid_t c = fork();
  if (c == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    for (int i = 0; i < 200; i++) getppid();
    _exit(3);
  }
  return c;
}

// Lets the child go on to its next syscall stop, if it is at one.
static void step_tracee(pid_t* c) {
  int st;
  if (*c <= 0 || waitpid(*c, &st, WNOHANG) != *c) return;
  if (WIFSTOPPED(st)) ptrace(PTRACE_SYSCALL, *c, 0, 0);
  else *c = 0;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pid_t child = start_tracee();
  long seen[kRounds];
  for (int r = 0; r < kRounds; r++) {
    pthread_mutex_lock(&mu);
    job = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    for (int k = 0; k < 20; k++) getpid();
    seen[r] = counter;
    step_tracee(&child);
    pthread_mutex_lock(&mu);
    while (!done) pthread_cond_wait(&cv, &mu);
    done = 0;
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  quit = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  for (int r = 0; r < kRounds; r++) printf("%ld%c", seen[r] % kCount, r + 1 < kRounds ? ' ' : '\n');
  if (child > 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
  }
  return 0;
}
