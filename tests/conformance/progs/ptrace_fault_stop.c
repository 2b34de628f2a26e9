/* A tracer at its tracee's fault stops, as a debugger at a breakpoint:
 * the tracee writes shared memory, then traps (int3); the tracer sees the
 * write, pokes a variable and resumes it without the signal. The tracee
 * then faults (a null read): the tracer passes the SIGSEGV to its handler,
 * which writes shared memory and restores the default action, and the
 * fault, made again, kills it. Replay must bring the tracee to each fault
 * before the tracer's wait returns. */
#include "conf_ptrace.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

static volatile char *shared;
static volatile long poked;

static void on_segv(int sig) {
    (void)sig;
    shared[1] = 78;
    signal(SIGSEGV, SIG_DFL);
}

int main(void) {
#if defined(__x86_64__)
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    pid_t pid = conf_traced_child();
    if (pid == 0) {
        shared[0] = 77;
        __asm__ volatile("int3");
        if (poked != 4242) _exit(91);
        signal(SIGSEGV, on_segv);
        shared[2] = *(volatile char *)(long)shared[3];  /* shared[3] is 0: a null read */
        _exit(92);
    }
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);

    CHECK(conf_stop_signal(pid) == SIGTRAP);
    CHECK(shared[0] == 77);
    struct user_regs_struct regs;
    CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)(regs.rip - 1), NULL);
    CHECK(errno == 0 && (word & 0xff) == 0xcc);
    CHECK(ptrace(PTRACE_POKEDATA, pid, (void *)&poked, (void *)4242L) == 0);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);

    CHECK(conf_stop_signal(pid) == SIGSEGV);
    CHECK(shared[1] == 0);
    CHECK(ptrace(PTRACE_CONT, pid, NULL, (void *)SIGSEGV) == 0);
    CHECK(conf_stop_signal(pid) == SIGSEGV); /* the handler ran; the same read again */
    printf("the handler ran before the second fault: %s\n", shared[1] == 78 ? "yes" : "no");
    CHECK(ptrace(PTRACE_CONT, pid, NULL, (void *)SIGSEGV) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
#endif
    PASS();
    return 0;
}
