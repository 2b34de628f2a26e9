// x86_64 CPUID faulting (arch_prctl ARCH_SET_CPUID 0): cpuid then raises
// SIGSEGV in the program, and rp answers it like a trapped rdtsc, so that
// the answers are recorded and replay gives them back on any CPU. The
// faulting is per thread, inherited by clone and fork, and cleared by
// execve: rp sets it again at every exec, before the new program's first
// instruction, by a call it makes in the program at the exec's exit stop.
// The trace keeps that call as an event of rp's own (trace.h, kMadeByRp),
// which replay makes again at the same point.
#pragma once
#include <cstdint>

namespace rp {

// The call rp makes: x86_64's arch_prctl (158) with ARCH_SET_CPUID
// (asm/prctl.h). Plain numbers, so that any build checks a trace's.
constexpr int64_t kArchPrctlNr = 158;
constexpr uint64_t kArchSetCpuid = 0x1012;
// ARCH_GET_CPUID: 1 when the calling thread's cpuid runs, 0 when it faults.
constexpr uint64_t kArchGetCpuid = 0x1011;

// Whether a process of this machine can make cpuid fault: the kernel and
// CPU support it (a hypervisor may not) and RP_CPUID does not say
// "untrapped" (what a machine without it does, for tests and for users who
// want the program to see the CPU it runs on). Probed once, in a child.
bool cpuid_faults();

struct CpuidAnswer {
  uint32_t eax, ebx, ecx, edx;
};
// cpuid(leaf, subleaf) as rp gives it to a recorded program: this CPU's
// answer without the features whose results no syscall or trap carries
// (RDRAND, RDSEED: random numbers from an instruction; HLE, RTM: transactions
// that abort by timing), so the program takes its other paths.
CpuidAnswer cpuid_for_program(uint32_t leaf, uint32_t subleaf);

}  // namespace rp
