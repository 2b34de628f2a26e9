// The ptrace tracer traps rdtsc in its own thread while it records or
// replays (x86_64).
//
// The recorded (and the replayed) program runs with rdtsc trapping
// (PR_SET_TSC, launch.cc). The kernel keeps that per thread in CR4.TSD and
// rewrites CR4 at every switch between a thread that traps rdtsc and one that
// does not. In a VM a CR4
// write exits to the hypervisor: on this project's VMs that was ~28 µs per
// getppid under any tracer (four switches per syscall), more than strace's
// whole cost. The tracer and the program alternate at every stop, mostly on
// one CPU (the kernel wakes a waiting tracer where the program stopped); when
// both trap rdtsc, those switches leave CR4 alone. Replay makes ptrace stops
// too (a window refill of the agent, or every syscall without it): the
// replayer's thread traps rdtsc for its run loop, gdb's server included.
//
// So while it traps, the thread reads clocks by syscall (the vDSO's clocks
// use rdtsc; not where asking to trap has no effect: rdtsc_traps), and
// reads the TSC for the program through read_tsc. An rdtsc anywhere else
// in the thread (a library's clock read) is caught: the SIGSEGV handler
// gives the thread rdtsc back and the instruction runs again; rearm() traps
// it again at a later stop, unless that keeps happening.
#pragma once
#include <time.h>

#include <cstdint>

namespace rp {

class TracerTsc {
 public:
  // Traps rdtsc in the calling thread where the platform can (x86_64), and
  // cpuid too if `cpuid` (the program's cpuid faults: cpuid_trap.h): a
  // switch between threads that differ in it writes an MSR, which in a VM
  // exits to the hypervisor (getppid under the ptrace backend took 1.8
  // times as long). A stray cpuid in the thread is caught like an rdtsc.
  explicit TracerTsc(bool cpuid = false);
  ~TracerTsc();  // rdtsc as before, in the calling thread
  TracerTsc(const TracerTsc&) = delete;
  TracerTsc& operator=(const TracerTsc&) = delete;

  // Once per stop: traps rdtsc again after a fault gave it back, as long as
  // faults stay rare (at most one per kStopsPerFault stops).
  void rearm();
  // rdtsc faults this thread's handler took back (each one a signal).
  static uint64_t faults();
  static uint64_t cpuid_faults();  // the same for cpuid
  // Whether the calling thread traps rdtsc now.
  static bool trapping();

  static constexpr uint64_t kStopsPerFault = 16;

 private:
  bool armed_ = false;  // this object set the trap (undone by the destructor)
  bool armed_cpuid_ = false;  // and cpuid's
  uint64_t stops_ = 0;
};

// clock_gettime in ns that works in a thread trapping rdtsc (a syscall then).
int64_t tracer_clock_ns(clockid_t clock);

#if defined(__x86_64__)
// The TSC read for the program's trapped rdtsc/rdtscp: rdtsc allowed for this
// one read when the thread traps it.
uint64_t read_tsc(bool rdtscp, unsigned* aux);
// cpuid(leaf, subleaf) into out (eax, ebx, ecx, edx), allowed for this one
// instruction when the thread traps it.
void read_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
#endif

// Whether `body`, run in a child forked from rp (SIGSEGV at its default
// action, no core dump), dies of SIGSEGV: how rp probes that an instruction
// really traps once asked to (rdtsc_traps, cpuid_faults).
bool dies_of_sigsegv_in_child(void (*body)());

// Whether rdtsc really faults in a thread that asked PR_SET_TSC to trap it
// (probed once, in a child). Some hypervisors accept the request and let
// rdtsc run (seen on a Firecracker guest of an AMD EPYC host): a recording
// there cannot see the program's reads. False on other architectures.
bool rdtsc_traps();

// RP_RDTSC=patch: act as if rdtsc could not trap on this machine, where rp
// record and rp replay patch the program's rdtsc instead (insn.h), so that
// the tests exercise that path on any machine. Throws rp::Error for any
// other non-empty value.
bool rdtsc_patch_forced();

// First in a thread rp starts from one that traps rdtsc or cpuid: the new
// thread inherited the traps, not the handler's state, and may block
// SIGSEGV (a blocked forced signal kills the process).
void untrap_new_thread();

// In a child forked from a thread that traps rdtsc, before it execs a program
// that is not the traced one (gdb): that program reads clocks with rdtsc.
// Async-signal-safe.
void untrap_tsc_in_child();

}  // namespace rp
