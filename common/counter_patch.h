// Making arm64 counter reads (`mrs Xt, cntvct_el0`) visible to ptrace.
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

// Patches the counter reads of the stopped tracee tid's executable file
// mappings (arm64; nothing to do elsewhere). False with *error set if a
// mapping cannot be read or a site cannot be written.
bool patch_counter_reads(pid_t tid, std::string* error);

// At a detach (rp record -p): the counter reads patched in tid's address
// space (by an exec while recorded) back to their mrs, so that the program
// does not run into rp's brk words on its own. False with *error set if a
// mapping cannot be read or written.
bool unpatch_counter_reads(pid_t tid, std::string* error);

// gdb's view of arm64 memory (rp replay -g): each whole, aligned
// counter-read brk in `bytes` (read at addr) shown as the mrs it stands for.
void show_counter_reads(uint64_t addr, std::string& bytes);

// The memory a successful call made executable: a private file mmap with
// PROT_EXEC (the new mapping), an mprotect or pkey_mprotect adding PROT_EXEC
// (its range). nullopt for any other call. A shared mapping is left out: a
// write there would reach the file.
struct CodeRange {
  uint64_t addr = 0, len = 0;
};
// The recorders do, on arm64, and say so in the trace's meta
// `counter_reads_mapped` (not under `rp record -p` with a kernel backend,
// whose filter cannot stop mmap): replay patches only where that says so, so
// traces of an older rp replay as they were recorded.
#if defined(__aarch64__)
constexpr bool kPatchesMappedCounterReads = true;
#else
constexpr bool kPatchesMappedCounterReads = false;
#endif
std::optional<CodeRange> exec_map_range(int64_t nr, const uint64_t args[6], int64_t ret);

// The counter reads in `ranges` of tid's memory patched (arm64; nothing to
// do elsewhere). A range only partly readable (a file mapping past its
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
