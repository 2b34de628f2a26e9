// Which descriptors of each replayed process still refer to rp's stdout and
// stderr, followed through dup/close/fork the way the kernel did it, so that
// `rp replay` prints exactly the program's terminal output (and not what a
// pipeline stage wrote into a pipe).
#pragma once
#include <sys/types.h>

#include <map>
#include <memory>

#include "trace.h"

namespace rp {

class OutputFds {
 public:
  OutputFds();
  // Returns 1 or 2 if fd of the process running thread rec_tid is rp's
  // stdout or stderr, else 0.
  int target(pid_t rec_tid, int fd) const;
  // Applies a completed syscall event (recorded result) to the tables.
  void apply(const Event& e, pid_t rec_tgid);
  // A new task: a thread (or CLONE_FILES child) shares its creator's table,
  // a process gets a copy.
  void on_new_task(pid_t parent_tid, pid_t child_tid, bool share);

 private:
  using Table = std::map<int, int>;  // fd -> 1 or 2
  std::map<pid_t, std::shared_ptr<Table>> by_tid_;
  std::shared_ptr<Table> root_;
};

}  // namespace rp
