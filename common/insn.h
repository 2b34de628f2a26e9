// Instructions rp makes trap so their results can be recorded: rdtsc and
// rdtscp (PR_SET_TSC, PR_TSC_SIGSEGV) and cpuid (ARCH_SET_CPUID faulting).
// Decoding uses Capstone: the length and kind of the faulting instruction
// decide how far to step and which registers the result goes to.
#pragma once
#include <cstdint>
#include <string>

namespace rp {

enum class TrappedInsn : int64_t { kNone = 0, kRdtsc = 1, kRdtscp = 2, kCpuid = 3 };

// Decodes the instruction at the start of `code` (read at address ip).
TrappedInsn decode_trapped(const std::string& code, uint64_t ip, int* length);
const char* trapped_insn_name(TrappedInsn k);

}  // namespace rp
