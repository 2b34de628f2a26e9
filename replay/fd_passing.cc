// Descriptors passed through a socket (SCM_RIGHTS): the receiver's new
// numbers refer to the sender's files, so what replay knows of those (rp's
// stdout, a /proc/PID/mem file, a file's offset) follows them. Only between
// the two ends of a socketpair, whose peers replay knows. A sendmmsg's
// messages are taken together, as one sendmsg's.
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>

#include "output_fds.h"

namespace rp {
namespace {

// The descriptors in a control buffer's SCM_RIGHTS messages, in order.
std::vector<int> scm_rights_fds(std::string control) {
  std::vector<int> fds;
  msghdr m{};
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
      continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  return fds;
}

const MemRecord* recorded_at(const Event& e, uint64_t addr) {
  for (const auto& m : e.mem)
    if (!m.input && m.addr == addr) return &m;
  return nullptr;
}

// The descriptors in one msghdr's control buffer (msghdr_bytes: the struct;
// `read`: the program's memory at a sendmsg, a recvmsg's recorded outputs).
std::vector<int> message_fds(const std::string& msghdr_bytes,
                             const std::function<std::string(uint64_t, size_t)>& read) {
  if (msghdr_bytes.size() < sizeof(msghdr)) return {};
  msghdr m;
  std::memcpy(&m, msghdr_bytes.data(), sizeof m);
  if (!m.msg_control || m.msg_controllen < sizeof(cmsghdr) || m.msg_controllen > 4096) return {};
  return scm_rights_fds(read(reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen));
}

}  // namespace

std::vector<int> sent_fds(const Event& e, const std::function<std::string(uint64_t, size_t)>& read) {
  std::vector<int> fds;
  const uint64_t n = e.nr == SYS_sendmmsg ? static_cast<uint64_t>(e.ret) : 1;
  for (uint64_t i = 0; i < n && i < 1024; i++)
    for (int fd : message_fds(read(e.args[1] + i * sizeof(mmsghdr), sizeof(msghdr)), read))
      fds.push_back(fd);
  return fds;
}

void OutputFds::note_sent(pid_t rec_tid, int sock, const std::vector<int>& fds) {
  auto it = by_tid_.find(rec_tid);
  const Table& t = it == by_tid_.end() ? *root_ : *it->second;
  auto s = t.find(sock);
  auto peer = s == t.end() ? peers_.end() : peers_.find(s->second);
  if (peer == peers_.end() || fds.empty()) return;
  std::vector<uint64_t> ids;
  for (int fd : fds) {
    auto f = t.find(fd);
    ids.push_back(f == t.end() ? 0 : f->second);  // 0: a file rp does not know
  }
  in_flight_[peer->second].push_back(std::move(ids));
}

// recvmsg's recorded msghdr (written back by the kernel), or each of
// recvmmsg's, names its control buffer, recorded too: the descriptors it
// received, under their new numbers.
void OutputFds::apply_received(const Event& e, Table& t) {
  auto recorded = [&](uint64_t addr, size_t len) {
    const MemRecord* m = recorded_at(e, addr);
    return m ? m->bytes.substr(0, len) : std::string();
  };
  const uint64_t n = e.nr == SYS_recvmmsg ? static_cast<uint64_t>(e.ret) : 1;
  for (uint64_t i = 0; i < n && i < 1024; i++)
    take_received(e, t, message_fds(recorded(e.args[1] + i * sizeof(mmsghdr), sizeof(msghdr)),
                                    recorded));
}

void OutputFds::take_received(const Event& e, Table& t, const std::vector<int>& got) {
  if (got.empty()) return;
  auto s = t.find(static_cast<int>(e.args[0]));
  auto queue = s == t.end() ? in_flight_.end() : in_flight_.find(s->second);
  std::vector<uint64_t> ids;
  if (queue != in_flight_.end() && !queue->second.empty()) {
    ids = std::move(queue->second.front());
    queue->second.pop_front();
  }
  for (size_t i = 0; i < got.size(); i++) {
    uint64_t id = i < ids.size() && ids.size() == got.size() ? ids[i] : 0;
    t[got[i]] = id ? id : next_file_++;
  }
}

}  // namespace rp
