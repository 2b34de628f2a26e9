#include "terminal.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

namespace rp {
namespace {

// tcsetpgrp from a background group raises SIGTTOU unless it is ignored.
void set_foreground(int fd, pid_t pgrp) {
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGTTOU, &ign, &old);
  tcsetpgrp(fd, pgrp);
  sigaction(SIGTTOU, &old, nullptr);
}

}  // namespace

TerminalHandoff::TerminalHandoff(pid_t pgrp) {
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;  // no controlling terminal
  if (tcgetpgrp(fd) != getpgrp()) {  // rp runs in the background: leave it be
    close(fd);
    return;
  }
  fd_ = fd;
  set_foreground(fd_, pgrp);
}

TerminalHandoff::~TerminalHandoff() { take_back(); }

void TerminalHandoff::take_back() {
  if (fd_ < 0) return;
  set_foreground(fd_, getpgrp());
  close(fd_);
  fd_ = -1;
}

}  // namespace rp
