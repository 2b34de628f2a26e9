// The files the kernel itself opens at execve — the program (or script and
// its #! interpreter), the ELF interpreter (PT_INTERP) — are stored in the
// trace, so replay can run in a private root that holds only them: it then
// works after they changed or were deleted, and on another machine. Every
// other file a program reads comes through emulated syscalls (and mmap
// contents through recorded bytes), so nothing else is needed.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace rp {

struct ExecFile {
  std::string path;   // as the kernel looks it up (absolute)
  std::string bytes;
  int mode = 0755;
};

// After a successful execve of `path` (as the program passed it) by tid,
// whose cwd was `cwd`: the files to store. Unreadable ones are skipped.
std::vector<ExecFile> exec_files(pid_t tid, const std::string& path, const std::string& cwd);

// The path a file is stored under: `abs` (absolute) with ".", ".." and
// repeated slashes resolved lexically, as the kernel resolves them in
// replay's private root, which has no symlinks. Readers accept only such
// clean paths (trace_check.h).
std::string stored_path(const std::string& abs);

// PT_INTERP of an ELF image, empty if none (parsed with LLVM libObject).
std::string elf_interpreter(const std::string& image);

}  // namespace rp
