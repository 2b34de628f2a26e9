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
// stores, so record and replay patch the same ones. A read then stops at a
// SIGTRAP: the recorder reads the counter itself, replay injects the value.
//
// The sweep cannot tell an instruction from a data word in an executable
// segment (a literal pool, .rodata in a segment shared with .text): a data
// word equal to such an mrs would be overwritten (identically in record and
// replay). Libraries mapped later (ld.so's mmap of libc, dlopen) are swept
// at the exit of the call that made them executable (exec_map_range), in
// record and in replay at the same event.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// byte pair 0f 31 inside another instruction is not one. The sweep cannot
// tell data in an executable segment from code: an rdtsc decoded there
// would be patched, identically in record and replay.
struct TscSite {
  uint64_t addr = 0;
  TrappedInsn kind = TrappedInsn::kNone;
};
std::vector<TscSite> find_tsc_reads(std::string_view code, uint64_t base);
std::vector<TscSite> find_tsc_traps(std::string_view code, uint64_t base);
#endif

// Patches the counter reads of the stopped tracee tid's executable file
// mappings (nothing to do unless patches_counter_reads()). False with *error set if a
// mapping cannot be read or a site cannot be written.
bool patch_counter_reads(pid_t tid, std::string* error);

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
struct CodeRange {
  uint64_t addr = 0, len = 0;
};
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

// The recorder's sweep at the exit of any call (record and replay call this
// same rule; replay knows its file mappings from the trace instead of
// /proc/PID/maps): the parts of exec_map_range that tid's maps show as
// private file mappings.
bool patch_mapped_code(pid_t tid, int64_t nr, const uint64_t args[6], int64_t ret,
                       std::string* error);

// What record and replay patch into a program at its execve exit stop: the
// vDSO's stubs (vdso.h), then its counter reads.
bool patch_exec_image(pid_t tid, std::string* error);

}  // namespace rp
