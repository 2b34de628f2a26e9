#include "exec_redirect.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include "arch.h"
#include "tracee_mem.h"

namespace rp {

bool redirect_fd_exec(pid_t tid, std::string* why) {
  Regs r;
  if (!r.read(tid)) {
    *why = "cannot read the registers of an execveat";
    return false;
  }
  int dirfd = static_cast<int>(r.arg(0));
  std::string path = r.arg(1) ? read_cstring(tid, r.arg(1)) : "";
  if (dirfd == AT_FDCWD || (!path.empty() && path[0] == '/')) return false;
  std::string name = "/dev/fd/" + std::to_string(dirfd) + (path.empty() ? "" : "/" + path);
  // Below the red zone: the old stack is discarded by the exec anyway.
  uint64_t at = (r.sp() - 1024 - name.size()) & ~uint64_t{15};
  if (!write_mem(tid, at, std::string(name.c_str(), name.size() + 1))) {
    *why = "cannot write the program's name for an exec through a descriptor";
    return false;
  }
  uint64_t argv = r.arg(2), envp = r.arg(3);
  r.set_arg(0, at);
  r.set_arg(1, argv);
  r.set_arg(2, envp);
  if (!Regs::set_syscall_nr(tid, r, SYS_execve) || !r.write(tid)) {
    *why = "cannot turn an execveat into an execve";
    return false;
  }
  return true;
}

}  // namespace rp
