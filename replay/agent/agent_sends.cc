#include "agent_sends.h"

#include <sys/syscall.h>

#include <climits>
#include <string>

#include "agent_state.h"
#include "blob.h"
#include "render.h"
#include "replayer.h"

namespace rp {

AgentSend send_of(const SyscallSpec& s, const uint64_t args[6], int64_t ret, unsigned* mask) {
  const BufferSpec& in = s.input;
  if (!in.present() || in.p1 < 0 || in.p1 > 5) return {};
  uint64_t kind = in.kind == RP_SZ_ARG      ? RP_AGENT_SEND_BUFFER
                  : in.kind == RP_SZ_IOV    ? RP_AGENT_SEND_IOV
                  : in.kind == RP_SZ_MSGHDR ? RP_AGENT_SEND_MSGHDR
                                            : RP_AGENT_SEND_NONE;
  if (kind == RP_AGENT_SEND_NONE) return {};
  // The whole input sent: the kernel read every byte, so the agent's copy
  // reads nothing that faults (an iovec array's lengths it adds up itself).
  if (ret < 0 || (kind == RP_AGENT_SEND_BUFFER && static_cast<uint64_t>(ret) != args[in.p1]))
    return {};
  *mask |= 1u << in.arg;
  if (kind == RP_AGENT_SEND_MSGHDR) return {kind, args[in.arg], 0};
  *mask |= 1u << in.p1;
  return {kind, args[in.arg], args[in.p1]};
}

WindowFds::Binding WindowFds::binding(int fd) const {
  if (all_unknown_) return kUnknown;
  auto it = changed_.find(fd);
  return it == changed_.end() ? kAsAtStart : it->second;
}

namespace {

// Calls that put descriptor numbers in memory (or close a range of them).
bool rebinds_unseen(int64_t nr) {
#if defined(SYS_pipe)
  if (nr == SYS_pipe) return true;  // x86_64 only, as the others below
#endif
  return nr == SYS_close_range || nr == SYS_pipe2 || nr == SYS_socketpair || nr == SYS_recvmsg ||
         nr == SYS_recvmmsg;
}

// Calls whose new descriptor can be no file a write reaches memory through.
bool makes_no_file(int64_t nr) {
#if defined(SYS_eventfd)
  if (nr == SYS_eventfd || nr == SYS_epoll_create || nr == SYS_signalfd ||
      nr == SYS_inotify_init)
    return true;
#endif
  return nr == SYS_socket || nr == SYS_accept || nr == SYS_accept4 || nr == SYS_eventfd2 ||
         nr == SYS_epoll_create1 || nr == SYS_timerfd_create || nr == SYS_signalfd4 ||
         nr == SYS_inotify_init1 || nr == SYS_pidfd_open;
}

}  // namespace

void WindowFds::after(const Event& e) {
  if (e.kind != EventKind::kSyscall) return;
  auto fd = [](uint64_t v) { return static_cast<int>(v); };
  if (rebinds_unseen(e.nr)) {
    all_unknown_ = true;
    return;
  }
  bool dup2 = e.nr == SYS_dup3;
#if defined(SYS_dup2)
  dup2 = dup2 || e.nr == SYS_dup2;
#endif
  if (e.nr == SYS_close) changed_[fd(e.args[0])] = kUnknown;
  if (dup2) changed_[fd(e.args[1])] = kUnknown;
  if (e.nr == SYS_close || dup2 || syscall_failed(e.ret) || e.ret > INT_MAX) return;
  // A new descriptor; or (conservatively) a count that happens to equal one.
  changed_[fd(static_cast<uint64_t>(e.ret))] = makes_no_file(e.nr) ? kNotAFile : kUnknown;
}

// A write whose replay changes memory (a /proc mem file, a file mapped
// shared): replay does that when it passes the call, too late for a call the
// agent answered, so the agent never gets such a write.
bool Replayer::write_reaches_memory(const Task& t, const Event& e) const {
  if (!writes_a_file(e.nr)) return false;
  const int fd = static_cast<int>(e.args[0]);
  if (output_fds_.mem_file_owner(e.tid, fd)) return true;
  const uint64_t file = output_fds_.object_id(e.tid, fd);
  if (!file) return false;
  auto maps = file_maps_.find(t.real_tgid);
  return shared_files_.has(file) || (maps != file_maps_.end() && maps->second.maps_shared(file));
}

// A call that sent bytes, answered by the agent, as the main loop passes it:
// the bytes the agent copied at the call are compared with the recording and
// printed where replay prints the program's output. The thread has run on
// to its next call the agent did not answer; a divergence found here names
// this call.
void Replayer::agent_finish_send(Task& t, const Event& e, const std::string& sent) {
  if (!e.in_hash || hash64(sent) != *e.in_hash)
    diverge(e, "the data it sends differs from the recording (" + render_call(e) +
                   ", answered by the replay agent; the program ran on to its next call)");
  if (write_reaches_memory(t, e))
    diverge(e, "the replay agent answered a write that replay must apply to memory at the call");
  echo_output(t, e, &sent);
}

}  // namespace rp
