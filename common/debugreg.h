// Hardware execution breakpoints, so a thread stops before an instruction
// without patching code: x86_64 through the debug registers (PTRACE_POKEUSER),
// arm64 through the breakpoint registers (PTRACE_SETREGSET NT_ARM_HW_BREAK).
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace rp {

// x86 resumes past a breakpoint it stopped at (the kernel sets RF); arm64
// does not step over a ptrace breakpoint: resumed at its address the thread
// stops there again, so the caller clears it and single-steps first.
#if defined(__aarch64__)
constexpr bool kExecBreakpointRefires = true;
#else
constexpr bool kExecBreakpointRefires = false;
#endif

bool set_exec_breakpoint(pid_t tid, uint64_t addr);  // uses slot 0
bool clear_exec_breakpoint(pid_t tid);

}  // namespace rp
