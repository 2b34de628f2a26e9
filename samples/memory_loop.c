/* memory_loop: a thread runs a long loop body whose registers are the same on
 * every pass: each step adds one to a counter in memory through a pointer
 * and clears the register it used, so only the counter tells one pass from
 * the next. The main thread stops it after a short sleep: to run, it must
 * switch the thread out part-way through the body, and under a kernel backend
 * (or rp's own preemption under ptrace) that switch is recorded. Replay finds
 * the recorded pass by the memory digest recorded with the switch (the
 * counter is in the window of the pointer's register: docs/design.md,
 * "Checking a switch point"); without it the point is ambiguous. Prints the
 * counter, which differs from run to run: replay must print the same.
 * With the argument "signal" the main thread runs the loop and a timer's
 * SIGALRM stops it: replay must deliver the signal at the recorded pass.
 * On stderr, where the loop's body is (x86_64).
 * (tests/threads/memory_point.sh) With "tight" the thread's loop is three
 * instructions, whose registers repeat at every pass: a switch there is some
 * ten million passes in, which replay finds one ptrace stop a pass
 * (tests/threads/slow_memory_search.sh) unless the trampoline checks the
 * memory too. On arm64 most of its instructions see repeating registers
 * (tests/arm64/guest_init.sh, memory_search).
 * With "redzone" it counts at -8(%rsp), in the red zone a leaf function
 * keeps locals in without moving rsp: only the digest's red zone window
 * tells its passes apart (tests/threads/stack_point.sh).
 * With "stale" it counts at the stack pointer as with "stack", after three
 * getppid calls made 200 bytes higher: the stack window the digest hashes
 * then also holds bytes no one wrote since those calls, which replay must
 * leave as the recording had them (its agent once pushed its registers
 * there, so no pass matched: tests/threads/stack_point.sh).
 * With a second argument "shared" it first maps a page of shared anonymous
 * memory, as the JVM maps its hsperfdata file MAP_SHARED: replay's check
 * that a switch point is the only pass runs a copy of the thread, which it
 * once skipped for a program with such memory and took the first pass
 * (tests/threads/stack_point.sh stack shared). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static struct {
    volatile unsigned long count;
    volatile int stop;
} state;
static int started[2];
#if defined(__x86_64__)
extern const char memory_loop_body[], memory_loop_end[]; /* in run's asm */
extern const char memory_loop_tight[], memory_loop_tight_end[]; /* in run_tight's */
extern const char memory_loop_stack[], memory_loop_stack_end[]; /* in run_on_stack's */
extern const char memory_loop_red[], memory_loop_red_end[]; /* in run_in_red_zone's */
extern const char memory_loop_stale[], memory_loop_stale_end[]; /* in run_after_calls' */
#endif

static void on_alarm(int sig) {
    (void)sig;
    state.stop = 1;
}

static int tight, on_stack, in_red_zone, after_calls;

/* Adds one to the counter through a pointer until told to stop. */
static void run_tight(void) {
#if defined(__x86_64__)
    __asm__ volatile(".globl memory_loop_tight\n\t.hidden memory_loop_tight\n"
                     "memory_loop_tight:\n\t"
                     "incq (%0)\n\t"
                     "cmpl $0, 8(%0)\n\t"
                     "je memory_loop_tight\n\t"
                     ".globl memory_loop_tight_end\n\t.hidden memory_loop_tight_end\n"
                     "memory_loop_tight_end:"
                     :
                     : "r"(&state)
                     : "cc", "memory");
#elif defined(__aarch64__)
    /* x9 holds the count only between its load and the stop flag's: at the
     * loop's head (where TCG takes interrupts: a block's start) and at the
     * nops it is 0 on every pass but the first. */
    __asm__ volatile("1:\n\t"
                     "ldr x9, [%0]\n\t"
                     "add x9, x9, #1\n\t"
                     "str x9, [%0]\n\t"
                     "ldr w9, [%0, #8]\n\t"
                     "nop\n\tnop\n\tnop\n\tnop\n\t"
                     "cbz w9, 1b"
                     :
                     : "r"(&state)
                     : "x9", "cc", "memory");
#else
    while (!state.stop) state.count++;
#endif
}

#if defined(__x86_64__)
/* Moves rsp DEPTH bytes down (a string; past the compiler's own red zone),
 * counts in the stack slot SLOT (an operand relative to the moved rsp) until
 * the stop flag (8 bytes after `state`, in %1) is set, and puts the count in
 * %0. LABEL and LABEL_end mark the loop for tests/threads/stack_point.sh. */
#define STACK_COUNT_LOOP_AT(label, slot, depth)                         \
    "lea -" depth "(%%rsp), %%rsp\n\t"                                  \
    "movq $0, " slot "\n\t"                                             \
    ".globl " label "\n\t.hidden " label "\n" label ":\n\t"            \
    "incq " slot "\n\t"                                                 \
    "cmpl $0, 8(%1)\n\t"                                                \
    "je " label "\n\t"                                                  \
    ".globl " label "_end\n\t.hidden " label "_end\n" label "_end:\n\t" \
    "movq " slot ", %0\n\t"                                             \
    "lea " depth "(%%rsp), %%rsp"
#define STACK_COUNT_LOOP(label, slot) STACK_COUNT_LOOP_AT(label, slot, "256")
#endif

/* Counts in a slot at the stack pointer, below the red zone: only the
 * memory at sp (its digest window, which replay compares only to tell
 * passes apart that are otherwise the same) tells the passes apart. */
static void run_on_stack(void) {
#if defined(__x86_64__)
    unsigned long n;
    __asm__ volatile(STACK_COUNT_LOOP("memory_loop_stack", "(%%rsp)")
                     : "=r"(n)
                     : "r"(&state)
                     : "cc", "memory");
    state.count = n;
#else
    run_tight();
#endif
}

/* Counts at -8(%rsp), in the red zone: under rsp, where no register points. */
static void run_in_red_zone(void) {
#if defined(__x86_64__)
    unsigned long n;
    __asm__ volatile(STACK_COUNT_LOOP("memory_loop_red", "-8(%%rsp)")
                     : "=r"(n)
                     : "r"(&state)
                     : "cc", "memory");
    state.count = n;
#else
    run_tight();
#endif
}

/* Counts at the stack pointer 200 bytes under where it made three getppid
 * calls from one site (the replay agent answers the later two): the words
 * its stack window holds above the count are whatever was there before. */
static void run_after_calls(void) {
#if defined(__x86_64__)
    unsigned long n;
    __asm__ volatile("mov $3, %%r8d\n\t"
                     "1: mov $110, %%eax\n\t" /* SYS_getppid */
                     "syscall\n\t"
                     "dec %%r8d\n\t"
                     "jnz 1b\n\t"
                     STACK_COUNT_LOOP_AT("memory_loop_stale", "(%%rsp)", "200")
                     : "=r"(n)
                     : "r"(&state)
                     : "rax", "rcx", "r8", "r11", "cc", "memory");
    state.count = n;
#else
    run_tight();
#endif
}

/* arg NULL: a thread, which tells the main thread it starts. */
static void* run(void* arg) {
    if (!arg && write(started[1], "s", 1) != 1) return NULL;
    if (tight) {
        run_tight();
        return NULL;
    }
    if (on_stack) {
        run_on_stack();
        return NULL;
    }
    if (in_red_zone) {
        run_in_red_zone();
        return NULL;
    }
    if (after_calls) {
        run_after_calls();
        return NULL;
    }
#if defined(__x86_64__)
    /* 1024 steps of 48 instructions; at the first and at the 44 nops rax
     * is 0: mov, lea and nop set no flags, so those sites see the same
     * registers on every pass of the outer loop (most of them: a timer's
     * interrupt lands after a memory access more often than elsewhere). */
    __asm__ volatile(".globl memory_loop_body\n\t.hidden memory_loop_body\n"
                     "memory_loop_body:\n\t"
                     ".rept 1024\n\t"
                     "movq (%0), %%rax\n\t"
                     "leaq 1(%%rax), %%rax\n\t"
                     "movq %%rax, (%0)\n\t"
                     "movl $0, %%eax\n\t"
                     ".rept 44\n\tnop\n\t.endr\n\t"
                     ".endr\n\t"
                     ".globl memory_loop_end\n\t.hidden memory_loop_end\n"
                     "memory_loop_end:\n\t"
                     "cmpl $0, 8(%0)\n\t"
                     "je memory_loop_body"
                     :
                     : "r"(&state)
                     : "rax", "cc", "memory");
#else
    while (!state.stop) state.count++;
#endif
    return NULL;
}

int main(int argc, char** argv) {
    pthread_t t;
    char c;
    const int by_signal = argc > 1 && strcmp(argv[1], "signal") == 0;
    tight = argc > 1 && strcmp(argv[1], "tight") == 0;
    on_stack = argc > 1 && strcmp(argv[1], "stack") == 0;
    in_red_zone = argc > 1 && strcmp(argv[1], "redzone") == 0;
    after_calls = argc > 1 && strcmp(argv[1], "stale") == 0;
#if defined(__x86_64__)
    /* Where the loop is, for tests/threads/memory_point.sh: 1024 steps. */
    const char *body = tight ? memory_loop_tight : on_stack ? memory_loop_stack
                     : in_red_zone ? memory_loop_red : after_calls ? memory_loop_stale
                     : memory_loop_body;
    const char *end = tight ? memory_loop_tight_end : on_stack ? memory_loop_stack_end
                    : in_red_zone ? memory_loop_red_end : after_calls ? memory_loop_stale_end
                    : memory_loop_end;
    fprintf(stderr, "body %p end %p\n", (const void*)body, (const void*)end);
#endif
    if (by_signal) {  /* the main thread loops until a timer's SIGALRM stops it */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        struct itimerval it = {{0, 0}, {0, 20 * 1000}};
        if (sigaction(SIGALRM, &sa, NULL) != 0 || setitimer(ITIMER_REAL, &it, NULL) != 0) return 1;
        run(&state);
        printf("%lu steps\n", (unsigned long)state.count);
        return 0;
    }
    if (argc > 2 && strcmp(argv[2], "shared") == 0) {
        char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED) return 1;
        page[0] = 1;
    }
    if (pipe(started) != 0 || pthread_create(&t, NULL, run, NULL) != 0) return 1;
    if (read(started[0], &c, 1) != 1) return 1; /* the loop is about to start */
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    state.stop = 1;
    pthread_join(t, NULL);
    printf("%lu steps\n", (unsigned long)state.count);
    return 0;
}
