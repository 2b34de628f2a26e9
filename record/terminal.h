// The recorded program runs in a process group of its own (LaunchSpec::
// own_process_group); when rp owned its terminal, the program's group gets
// the terminal while it runs (reads and Ctrl-C work as without rp) and rp
// takes it back afterwards.
#pragma once
#include <sys/types.h>

namespace rp {

class TerminalHandoff {
 public:
  // Makes pgrp the foreground group of rp's controlling terminal if rp's
  // group is in the foreground now; otherwise does nothing.
  explicit TerminalHandoff(pid_t pgrp);
  ~TerminalHandoff();  // gives the terminal back to rp's group
  void take_back();     // the same, now
  TerminalHandoff(const TerminalHandoff&) = delete;
  TerminalHandoff& operator=(const TerminalHandoff&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace rp
