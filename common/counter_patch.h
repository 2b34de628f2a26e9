// Making counter reads visible to ptrace where the kernel cannot trap them:
// arm64's `mrs Xt, cntvct_el0` always, x86_64's rdtsc/rdtscp where a
// hypervisor lets rdtsc run despite PR_SET_TSC (insn.h).
//
// arm64 Linux has no PR_SET_TSC: the counter is readable by every task
// (docs/design.md, Architectures). After every exec, record and replay
// sweep the exec'd program's executable file mappings (the main executable
// and its interpreter; the vDSO is patched by common/vdso.h) for A64 words
// that are such reads and overwrite each with a brk standing for it
// (common/insn.h). The sites depend only on the mapped bytes, which the trace
// stores, and on the code ranges the recorder noted (mapped_code_sections),
// so record and replay patch the same ones. A read then stops at a
// SIGTRAP: the recorder reads the counter itself, replay injects the value.
//
// The sweep reads only the code sections of each mapping's file: a segment
// that also holds read-only data (.rodata, relocations: no -z separate-code)
// would have data bytes that read as a counter read overwritten. A data word
// in a code section (a literal pool) still can be, identically in record and
// replay. Libraries mapped later (ld.so's mmap of libc, dlopen) are swept
// at the exit of the call that made them executable (exec_map_range), in
// record and in replay at the same event.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf_code.h"
#include "insn.h"

namespace rp {

struct CounterSite {
  uint64_t addr = 0;
  CounterRead read;
};

// Every 4-byte aligned counter read in `code`, mapped at `base`.
std::vector<CounterSite> find_counter_reads(std::string_view code, uint64_t base);

#if defined(__x86_64__)
// x86_64's instructions have no alignment, so a linear sweep (tsc_sweep.cc,
// Zydis) finds them: every rdtsc/rdtscp in `code` mapped at `base`, and
// every patched one (insn.h, encode_tsc_trap) for a detach to restore. A
// byte pair 0f 31 inside another instruction is not one. Callers pass code
// sections only (mapped_code_sections): data decoded as an rdtsc would be
// patched.
struct TscSite {
  uint64_t addr = 0;
  TrappedInsn kind = TrappedInsn::kNone;
};
std::vector<TscSite> find_tsc_reads(std::string_view code, uint64_t base);
std::vector<TscSite> find_tsc_traps(std::string_view code, uint64_t base);
#endif

// At a detach (rp record -p): the counter reads patched in tid's address
// space (by an exec while recorded) back to their mrs, so that the program
// does not run into rp's brk words on its own. False with *error set if a
// mapping cannot be read or written.
bool unpatch_counter_reads(pid_t tid, std::string* error);

// gdb's view of arm64 memory (rp replay -g): each whole, aligned
// counter-read brk in `bytes` (read at addr) shown as the mrs it stands for.
// (x86_64's patched rdtsc shows as the int it is: its sites are known by a
// sweep of the whole mapping, not by the bytes gdb asks for.)
void show_counter_reads(uint64_t addr, std::string& bytes);

// The memory a successful call made executable: a private file mmap with
// PROT_EXEC (the new mapping), an mprotect or pkey_mprotect adding PROT_EXEC
// (its range). nullopt for any other call. A shared mapping is left out: a
// write there would reach the file.
// Whether record and replay patch counter reads: always on arm64; on x86_64
// only where rdtsc cannot trap (insn.h, set_rdtsc_patched). The recorders
// say so in the trace's meta `counter_reads_mapped` (not under `rp record -p`
// with a kernel backend, whose filter cannot stop mmap): replay sweeps mapped
// code only where that says so, so traces of an older rp replay as they were
// recorded.
bool patches_counter_reads();
std::optional<CodeRange> exec_map_range(int64_t nr, const uint64_t args[6], int64_t ret);

// The counter reads in `ranges` of tid's memory patched (nothing to do
// unless patches_counter_reads()). A range only partly readable (a file mapping past its
// file's end) is swept as far as it reads. False with *error set if a site
// cannot be written.
bool patch_counter_reads_in(pid_t tid, const std::vector<CodeRange>& ranges, std::string* error);

// The parts of [lo, hi) that tid's maps show as private executable file
// mappings (not [vdso], which vdso.h patches, nor anonymous JIT memory):
// where a sweep may patch. An execve's sweep takes the whole address space,
// a call's exec_map_range.
std::vector<CodeRange> mapped_code(pid_t tid, uint64_t lo, uint64_t hi);
// The same, each mapping cut down to the code sections of its file
// (elf_code.h; the whole mapping where the file has no section headers): what
// the recorder sweeps, and notes in the trace (list kCounterCode) for replay
// to sweep the same.
std::vector<CodeRange> mapped_code_sections(pid_t tid, uint64_t lo, uint64_t hi);
// The parts of `ranges` inside `allowed` (both in address order).
std::vector<CodeRange> clip_ranges(const std::vector<CodeRange>& ranges,
                                   const std::vector<CodeRange>& allowed);
// A sweep as the trace notes it: "TID LO HI ADDR LEN ADDR LEN ..." (decimal).
std::string format_code_sweep(pid_t tid, uint64_t lo, uint64_t hi,
                              const std::vector<CodeRange>& ranges);
struct NotedSweep {
  int32_t tid = 0;
  uint64_t lo = 0, hi = 0;
  std::vector<CodeRange> ranges;
};
// nullopt for an item that is not one (at most 4096 ranges, none wrapping).
std::optional<NotedSweep> parse_code_sweep(const std::string& item);

// What record and replay patch into a program at its execve exit stop: the
// vDSO's stubs (vdso.h), then its counter reads in `code` (mapped_code...).
bool patch_exec_image(pid_t tid, const std::vector<CodeRange>& code, std::string* error);

}  // namespace rp
