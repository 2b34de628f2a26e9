// Which parts of an executable file mapping are code, from the file's ELF
// section headers. A linker that puts read-only data in the same segment as
// .text (without -z separate-code: binutils before 2.31, prebuilt binaries
// built on old distributions) maps relocations, .rodata and .eh_frame
// executable too; a sweep for counter reads (counter_patch.h) must not patch
// bytes there that happen to decode as one.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "proc_maps.h"

namespace rp {

struct CodeRange {
  uint64_t addr = 0, len = 0;
};

// The parts of mapping m (of process tid) that its file's sections flagged
// SHF_EXECINSTR cover, in address order; nullopt where the file cannot say
// (not an ELF file with section headers, not readable, or no longer the
// file that was mapped).
std::optional<std::vector<CodeRange>> elf_code_parts(pid_t tid, const ProcMap& m);

}  // namespace rp
