// What the replay agent copies of a call that sends bytes, and which
// descriptors a window of calls rebinds (replay/agent/agent_sends.h).
#include "agent_sends.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

namespace rp {
namespace {

Event call(int64_t nr, std::initializer_list<uint64_t> args, int64_t ret) {
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = nr;
  int i = 0;
  for (uint64_t a : args) e.args[i++] = a;
  e.ret = ret;
  return e;
}

TEST(SendOf, BufferAndIovecInputsWithTheirArgumentsCompared) {
  const uint64_t args[6] = {1, 0x1000, 12, 0, 0, 0};
  unsigned mask = 0b1;
  AgentSend w = send_of(*syscall_spec(SYS_write), args, 12, &mask);
  EXPECT_EQ(w.kind, uint64_t{RP_AGENT_SEND_BUFFER});
  EXPECT_EQ(w.ptr, 0x1000u);
  EXPECT_EQ(w.n, 12u);
  EXPECT_EQ(mask, 0b111u);
  mask = 0;
  AgentSend v = send_of(*syscall_spec(SYS_pwritev), args, 40, &mask);  // the agent adds them up
  EXPECT_EQ(v.kind, uint64_t{RP_AGENT_SEND_IOV});
  EXPECT_EQ(mask, 0b110u);
  mask = 0;
  AgentSend m = send_of(*syscall_spec(SYS_sendmsg), args, 12, &mask);
  EXPECT_EQ(m.kind, uint64_t{RP_AGENT_SEND_MSGHDR});
  EXPECT_EQ(m.ptr, 0x1000u);
  EXPECT_EQ(mask, 0b10u);
  EXPECT_EQ(send_of(*syscall_spec(SYS_sendmmsg), args, 12, &mask).kind, uint64_t{RP_AGENT_SEND_NONE});
  EXPECT_EQ(send_of(*syscall_spec(SYS_getppid), args, 12, &mask).kind, uint64_t{RP_AGENT_SEND_NONE});
}

// A call that failed or sent part of its buffer may have faulted on it: the
// agent, reading it all, would fault where the kernel returned.
TEST(SendOf, OnlyACallThatSentItAll) {
  const uint64_t args[6] = {1, 0x1000, 8192, 0, 0, 0};
  unsigned mask = 0;
  EXPECT_EQ(send_of(*syscall_spec(SYS_write), args, 4096, &mask).kind, uint64_t{RP_AGENT_SEND_NONE});
  EXPECT_EQ(send_of(*syscall_spec(SYS_write), args, -EFAULT, &mask).kind, uint64_t{RP_AGENT_SEND_NONE});
  EXPECT_EQ(send_of(*syscall_spec(SYS_writev), args, -EFAULT, &mask).kind, uint64_t{RP_AGENT_SEND_NONE});
  EXPECT_EQ(mask, 0u);
}

TEST(WindowFds, ADescriptorKeepsItsFileUntilTheWindowRebindsIt) {
  WindowFds f;
  EXPECT_EQ(f.binding(5), WindowFds::kAsAtStart);
  f.after(call(SYS_read, {5, 0x1000, 10}, 3));  // a count equal to a descriptor: unsure
  EXPECT_EQ(f.binding(3), WindowFds::kUnknown);
  EXPECT_EQ(f.binding(5), WindowFds::kAsAtStart);
  f.after(call(SYS_accept4, {4, 0, 0, 0}, 6));
  EXPECT_EQ(f.binding(6), WindowFds::kNotAFile);
  f.after(call(SYS_openat, {0, 0x2000, 0}, 6));  // the same number, now a file
  EXPECT_EQ(f.binding(6), WindowFds::kUnknown);
  f.after(call(SYS_close, {5}, -EBADF));  // failed or not, no longer sure
  EXPECT_EQ(f.binding(5), WindowFds::kUnknown);
  f.after(call(SYS_dup3, {7, 8, 0}, 8));
  EXPECT_EQ(f.binding(8), WindowFds::kUnknown);
  f.after(call(SYS_openat, {0, 0x2000, 0}, -ENOENT));  // failed: made nothing
  EXPECT_EQ(f.binding(2), WindowFds::kAsAtStart);
  f.after(call(SYS_pipe2, {0x3000, 0}, 0));  // numbers written to memory: any may be new
  EXPECT_EQ(f.binding(2), WindowFds::kUnknown);
}

}  // namespace
}  // namespace rp
