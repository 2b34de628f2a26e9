// Calls that send bytes (write, writev, sendto, ...) answered by the replay
// agent: the agent copies what they send into the window (agent_abi.h), and
// the replayer, when its main loop passes the call, hashes that copy against
// the recording and prints what went to its terminal (agent_sends.cc).
#pragma once
#include <cstdint>
#include <map>

#include "agent_code.h"
#include "syscall_table.h"
#include "trace.h"

namespace rp {

// What the agent copies of a call with an input (syscalls.def) that sent
// it all (result `ret`: a buffer's length; for iovecs the agent checks the
// sum): one buffer, an iovec array, or a msghdr's iovecs (the agent leaves
// one with control data, whose descriptors replay reads at the call, to
// the kernel path), the arguments holding its pointer and length added to
// `mask` (the agent reads the recorded ones, which the program's registers
// must then equal). Kind NONE for an input it cannot copy (sendmmsg's) or
// a call that failed or sent part of it.
AgentSend send_of(const SyscallSpec& s, const uint64_t args[6], int64_t ret, unsigned* mask);

// The descriptors the calls of a window rebind. Replay's tables (OutputFds)
// stay those of the window's start until the main loop passes its calls, so
// a write the agent answers is checked against them only for a descriptor
// no earlier call of the window rebound; one the window made with a call
// that can only make a socket, an eventfd and the like is not a file either.
class WindowFds {
 public:
  enum Binding { kAsAtStart, kNotAFile, kUnknown };
  Binding binding(int fd) const;
  void after(const Event& e);  // e is in the window, before the calls still to check

 private:
  std::map<int, Binding> changed_;
  bool all_unknown_ = false;
};

}  // namespace rp
