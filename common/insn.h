// Instructions rp makes trap so their results can be recorded.
// x86_64: rdtsc and rdtscp (PR_SET_TSC, PR_TSC_SIGSEGV) and cpuid (ARCH_SET_CPUID
// faulting); Capstone decodes the faulting instruction: its length and kind
// decide how far to step and which registers the result goes to.
// arm64: Linux cannot make `mrs Xt, cntvct_el0` trap for one process, so rp
// overwrites each such word in the exec'd code with a `brk` whose immediate
// carries the kind and Xt (common/counter_patch.h); the decoding is plain
// arithmetic, built on every host so the unit tests check it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rp {

enum class TrappedInsn : int64_t {
  kNone = 0,
  kRdtsc = 1,
  kRdtscp = 2,
  kCpuid = 3,
  kCntvct = 4,    // arm64 mrs Xt, cntvct_el0, patched to a brk
  kCntvctss = 5,  // arm64 mrs Xt, cntvctss_el0 (FEAT_ECV), patched to a brk
};
constexpr int64_t kMaxTrappedInsn = 5;

// Decodes the instruction at the start of `code` (read at address ip).
TrappedInsn decode_trapped(const std::string& code, uint64_t ip, int* length);

// ---- x86_64 rdtsc where it cannot trap ----
// Some hypervisors accept PR_SET_TSC and let rdtsc run (tracer_tsc.h,
// rdtsc_traps). There rp overwrites each rdtsc (0f 31) in the program's code
// with `int $0x72` (cd 72) and each rdtscp (0f 01 f9) with `int $0x73; nop`
// (cd 73 90): the same lengths, so a sweep of patched code finds the same
// instruction boundaries. Linux's gates for those vectors are kernel-only,
// so the int faults (#GP) and the program gets SIGSEGV SI_KERNEL at the int,
// the signal a trapped rdtsc raises. decode_trapped takes them for rdtsc and
// rdtscp only while set_rdtsc_patched(true) (record decides, replay follows
// the trace's meta rdtsc_patched): elsewhere an `int $0x72` stays the crash
// it is natively.
constexpr uint8_t kIntOpcode = 0xcd, kRdtscTrapVector = 0x72, kRdtscpTrapVector = 0x73;
void set_rdtsc_patched(bool on);
bool rdtsc_patched();
// The bytes that stand for rdtsc or rdtscp, and back (kNone if `code` does
// not start with either); the instruction's own bytes.
std::string encode_tsc_trap(TrappedInsn kind);
std::string encode_tsc_read(TrappedInsn kind);
TrappedInsn decode_tsc_trap(std::string_view code, int* length);
const char* trapped_insn_name(TrappedInsn k);

// The signal a trapped instruction raises in the tracee: SIGSEGV (si_code
// SI_KERNEL) on x86_64, SIGTRAP (TRAP_BRKPT) from the patched brk on arm64.
int trapped_insn_signal();
bool is_trapped_insn_siginfo(int sig, int si_code);

// ---- arm64 counter reads (A64 words, little endian in memory) ----
struct CounterRead {
  TrappedInsn kind = TrappedInsn::kNone;
  int rt = 0;  // 0..30 = X0..X30, 31 = xzr (the value is dropped)
};
// `mrs Xt, cntvct_el0` or `mrs Xt, cntvctss_el0`. cntpct_el0 and
// cntpctss_el0 are left alone: Linux leaves CNTKCTL_EL1.EL0PCTEN clear, so
// their reads already trap to the kernel, which has no emulation for them
// and raises SIGILL, the same in record and replay.
std::optional<CounterRead> decode_counter_read(uint32_t word);
uint32_t encode_counter_read(const CounterRead& r);
// The brk that stands for a counter read, and back. The immediate
// (kCounterBrkBase | kind bit << 5 | Xt) is neither gdb's brk #0 nor any the
// kernel claims for itself (uprobes 0x005, BUG/KASAN 0x800+ are EL1 only).
constexpr uint32_t kCounterBrkBase = 0x7200;
uint32_t encode_counter_trap(const CounterRead& r);
std::optional<CounterRead> decode_counter_trap(uint32_t word);

}  // namespace rp
