// Hardware execution breakpoints through the debug registers (ptrace
// POKEUSER), so a thread stops before an instruction without patching code.
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace rp {

bool set_exec_breakpoint(pid_t tid, uint64_t addr);  // uses slot 0
bool clear_exec_breakpoint(pid_t tid);

}  // namespace rp
