#include "tracer_tsc.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <mutex>

#include "cpuid_trap.h"
#include "error.h"
#include "trace.h"  // clock_ns
#if defined(__x86_64__)
#include <cpuid.h>
#include <ucontext.h>
#include <x86intrin.h>
#endif

namespace rp {
namespace {

// Whether this thread's rdtsc (cpuid) traps because of TracerTsc (the
// handler clears it).
thread_local bool tl_trapping = false;
#if defined(__x86_64__)
thread_local bool tl_cpuid_trapping = false;
#endif
std::atomic<uint64_t> g_faults{0}, g_cpuid_faults{0};
// Whether a thread that asks for it really faults on rdtsc. Where it does
// not (this project's VMs: the hypervisor ignores CR4.TSD), a trapping
// thread reads the vDSO's clocks as any other: no syscall per stop.
std::atomic<bool> g_asking_traps{true};

#if defined(__x86_64__)
struct sigaction g_previous;  // SIGSEGV's action before rp's handler

bool set_tsc(int mode) { return prctl(PR_SET_TSC, mode, 0, 0, 0) == 0; }

// ARCH_GET_CPUID / ARCH_SET_CPUID (cpuid_trap.h): 1 = cpuid runs, 0 = it faults.
bool set_cpuid(bool runs) { return syscall(SYS_arch_prctl, kArchSetCpuid, runs ? 1 : 0) == 0; }
bool cpuid_faults_here() { return syscall(SYS_arch_prctl, kArchGetCpuid, 0) == 0; }

bool at_cpuid(const unsigned char* ip) { return ip[0] == 0x0f && ip[1] == 0xa2; }

// rdtsc (0f 31) or rdtscp (0f 01 f9).
bool at_rdtsc(const unsigned char* ip) {
  return ip[0] == 0x0f && (ip[1] == 0x31 || (ip[1] == 0x01 && ip[2] == 0xf9));
}

// Only syscalls here (async-signal-safe). A fault that is not an rdtsc this
// thread traps goes to the previous action: it is put back and the faulting
// instruction runs again.
void on_segv(int, siginfo_t* si, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  auto* ip = reinterpret_cast<const unsigned char*>(uc->uc_mcontext.gregs[REG_RIP]);
  int mode = 0;
  if (si->si_code == SI_KERNEL && at_rdtsc(ip) && prctl(PR_GET_TSC, &mode, 0, 0, 0) == 0 &&
      mode == PR_TSC_SIGSEGV && set_tsc(PR_TSC_ENABLE)) {
    tl_trapping = false;
    g_faults.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The thread's own flag, not tl_cpuid_trapping: a thread it started since
  // inherited the faulting, not the thread_local.
  if (si->si_code == SI_KERNEL && at_cpuid(ip) && cpuid_faults_here() && set_cpuid(true)) {
    tl_cpuid_trapping = false;
    g_cpuid_faults.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  sigaction(SIGSEGV, &g_previous, nullptr);
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous);
  });
}
#endif

}  // namespace

TracerTsc::TracerTsc([[maybe_unused]] bool cpuid) {
#if defined(__x86_64__)
  g_asking_traps.store(rdtsc_traps(), std::memory_order_relaxed);  // before this thread traps
  install_handler();
  armed_ = set_tsc(PR_TSC_SIGSEGV);
  tl_trapping = armed_;
  armed_cpuid_ = cpuid && set_cpuid(false);
  tl_cpuid_trapping = armed_cpuid_;
#endif
}

TracerTsc::~TracerTsc() {
#if defined(__x86_64__)
  if (armed_) set_tsc(PR_TSC_ENABLE);
  if (armed_cpuid_) set_cpuid(true);
  tl_trapping = tl_cpuid_trapping = false;
#endif
}

void TracerTsc::rearm() {
#if defined(__x86_64__)
  stops_++;
  if ((faults() + cpuid_faults()) * kStopsPerFault > stops_) return;
  if (armed_ && !tl_trapping) tl_trapping = set_tsc(PR_TSC_SIGSEGV);
  if (armed_cpuid_ && !tl_cpuid_trapping) tl_cpuid_trapping = set_cpuid(false);
#endif
}

uint64_t TracerTsc::faults() { return g_faults.load(std::memory_order_relaxed); }

uint64_t TracerTsc::cpuid_faults() { return g_cpuid_faults.load(std::memory_order_relaxed); }

bool TracerTsc::trapping() { return tl_trapping; }

int64_t tracer_clock_ns(clockid_t clock) {
  if (!tl_trapping || !g_asking_traps.load(std::memory_order_relaxed)) return clock_ns(clock);
  timespec ts{};
  syscall(SYS_clock_gettime, clock, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

#if defined(__x86_64__)
uint64_t read_tsc(bool rdtscp, unsigned* aux) {
  bool trapped = tl_trapping;
  if (trapped) set_tsc(PR_TSC_ENABLE);
  uint64_t v = rdtscp ? __rdtscp(aux) : __rdtsc();
  if (trapped) set_tsc(PR_TSC_SIGSEGV);
  return v;
}
#endif

bool rdtsc_patch_forced() {
  const char* env = getenv("RP_RDTSC");
  if (!env || !*env) return false;
  if (std::string(env) != "patch")
    throw Error("RP_RDTSC='" + std::string(env) + "': the only setting is 'patch'");
  return true;
}

#if defined(__x86_64__)
void read_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  bool trapped = tl_cpuid_trapping;
  if (trapped) set_cpuid(true);
  __cpuid_count(leaf, subleaf, out[0], out[1], out[2], out[3]);
  if (trapped) set_cpuid(false);
}
#endif

void untrap_new_thread() {
#if defined(__x86_64__)
  int mode = 0;
  if (prctl(PR_GET_TSC, &mode, 0, 0, 0) == 0 && mode == PR_TSC_SIGSEGV) set_tsc(PR_TSC_ENABLE);
  if (cpuid_faults_here()) set_cpuid(true);
  tl_trapping = tl_cpuid_trapping = false;
#endif
}

void untrap_tsc_in_child() {
#if defined(__x86_64__)
  if (tl_trapping) set_tsc(PR_TSC_ENABLE);
  if (tl_cpuid_trapping) set_cpuid(true);
#endif
}

bool dies_of_sigsegv_in_child(void (*body)()) {
  const pid_t child = fork();
  if (child == 0) {
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // the fault is the answer, not a crash to keep
    signal(SIGSEGV, SIG_DFL);
    body();
    _exit(0);
  }
  int status = 0;
  return child > 0 && waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
         WTERMSIG(status) == SIGSEGV;
}

bool rdtsc_traps() {
#if defined(__x86_64__)
  static std::once_flag once;
  static bool traps = false;
  std::call_once(once, [] {
    traps = dies_of_sigsegv_in_child([] {
      if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) == 0) (void)__rdtsc();
    });
  });
  return traps;
#else
  return false;
#endif
}

}  // namespace rp
