// An exec through a descriptor (fexecve, execveat with AT_EMPTY_PATH or a
// directory fd, a memfd) cannot run as recorded in replay: the descriptor
// was opened by an emulated call and does not exist. The kernel named the
// program "/dev/fd/N[/name]" (AT_EXECFN) and the recorder stored it under
// that name (common/exec_files.h); replay runs execve of that name instead,
// which gives the new program the same AT_EXECFN string and so the same
// initial stack.
#pragma once
#include <sys/types.h>

#include <string>

namespace rp {

// tid is stopped at the entry of an execveat. If it execs through a
// descriptor, rewrites the call into execve("/dev/fd/N[/name]", argv, envp)
// and returns true; false leaves it unchanged. Sets *why if it cannot.
bool redirect_fd_exec(pid_t tid, std::string* why);

}  // namespace rp
