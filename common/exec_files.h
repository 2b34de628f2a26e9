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
// An exec through a descriptor (fexecve, execveat with AT_EMPTY_PATH or a
// directory fd, a memfd) has the kernel's name "/dev/fd/N[/name]" as path:
// the program is then read from tid's /proc/PID/exe and stored under that
// name, which replay's private root provides as a plain file.
std::vector<ExecFile> exec_files(pid_t tid, const std::string& path, const std::string& cwd);

// The path a file is stored under: `abs` (absolute) with ".", ".." and
// repeated slashes resolved lexically, as the kernel resolves them in
// replay's private root, which has no symlinks. Readers accept only such
// clean paths (trace_check.h).
std::string stored_path(const std::string& abs);

// The name the kernel gave the program tid just exec'd (bprm->filename, from
// AT_EXECFN): the path as passed, or "/dev/fd/N[/name]" for an exec through
// a descriptor. Empty if unreadable.
std::string exec_name(pid_t tid);

// True for a name of the form "/dev/fd/N..." (an exec through a descriptor).
bool is_fd_exec_name(const std::string& name);

// PT_INTERP of an ELF image, empty if none (parsed with LLVM libObject).
std::string elf_interpreter(const std::string& image);

}  // namespace rp
