// Execution breakpoints, so a thread stops before an instruction: x86_64
// through the debug registers (PTRACE_POKEUSER), arm64 through the
// breakpoint registers (PTRACE_SETREGSET NT_ARM_HW_BREAK). Some hypervisors
// accept those registers and never raise the trap (seen on a Firecracker
// guest of an AMD EPYC host: DR7 reads back as written, the thread runs
// through). rp probes that once, with a child of its own, and where the
// hardware does not fire it writes a trap instruction over the one to stop
// at instead (int3, brk), putting the original back when it is cleared.
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace rp {

// Whether a hardware execution breakpoint stops a tracee here (probed on
// the first call, then remembered). RP_BREAKPOINTS=software says no without
// probing (tests of the fallback on machines whose breakpoints work).
bool hardware_breakpoints_fire();

// One breakpoint per thread (a set one replaces the last). A software one
// lives in the process's memory: the caller keeps the process's other
// threads stopped until it is cleared.
bool set_exec_breakpoint(pid_t tid, uint64_t addr);
bool clear_exec_breakpoint(pid_t tid);

// x86 resumes past a hardware breakpoint it stopped at (the kernel sets RF);
// arm64's, and a software one on either, stop again when resumed at their
// address: the caller clears it and single-steps first.
bool exec_breakpoint_refires();

// After the thread's SIGTRAP at its software breakpoint: x86_64's int3 left
// the instruction pointer one byte past the address; it is put back there,
// as a hardware breakpoint leaves it. Nothing to do otherwise.
bool rewind_to_exec_breakpoint(pid_t tid);

}  // namespace rp
