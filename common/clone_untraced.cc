#include "clone_untraced.h"

#include <sched.h>
#include <sys/syscall.h>

#include "arch.h"

namespace rp {

bool clear_clone_untraced(pid_t tid, int64_t nr) {
  if (nr != SYS_clone) return false;
  Regs r;
  if (!r.read(tid) || !(r.arg(0) & CLONE_UNTRACED)) return false;
  r.set_arg(0, r.arg(0) & ~static_cast<uint64_t>(CLONE_UNTRACED));
  return r.write(tid);
}

uint64_t compared_arg(int64_t nr, int i, uint64_t value) {
  if (nr == SYS_clone && i == 0) return value & ~static_cast<uint64_t>(CLONE_UNTRACED);
  return value;
}

}  // namespace rp
