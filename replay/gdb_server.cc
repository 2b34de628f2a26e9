#include "gdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "gdb_regs.h"
#include "gdb_signals.h"

namespace rp {

namespace {

uint64_t parse_hex(const std::string& s, size_t& at) {
  uint64_t v = 0;
  while (at < s.size() && hex_digit(s[at]) >= 0)
    v = v << 4 | static_cast<uint64_t>(hex_digit(s[at++]));
  return v;
}

uint64_t parse_hex(const std::string& s) {
  size_t at = 0;
  return parse_hex(s, at);
}

// "p<pid>.<tid>", "<tid>", "-1" (all) or "0" (any): the tid, -1 or 0.
pid_t parse_thread(const std::string& s) {
  if (s == "-1") return -1;
  size_t dot = s.find('.');
  std::string t = s[0] == 'p' ? (dot == std::string::npos ? "0" : s.substr(dot + 1)) : s;
  if (t == "-1") return -1;
  return static_cast<pid_t>(parse_hex(t));
}

// Binary data in a reply: these four bytes are escaped as '}' and c ^ 0x20.
std::string escape_binary(const std::string& in) {
  std::string out;
  for (char c : in) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_binary(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); i++)
    out += in[i] == '}' && i + 1 < in.size() ? static_cast<char>(in[++i] ^ 0x20) : in[i];
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

int gdb_listen(int port, int* bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    throw_errno("cannot listen on port " + std::to_string(port));
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *bound = ntohs(a.sin_port);
  return fd;
}

long tcp_peer_uid(int fd) {
  sockaddr_in peer{}, self{};
  socklen_t a = sizeof peer, b = sizeof self;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&self), &b) != 0 || peer.sin_family != AF_INET)
    return -1;
  // The peer's socket is listed with its address as local, ours as remote.
  char want_local[32], want_remote[32];
  snprintf(want_local, sizeof want_local, "%08X:%04X", peer.sin_addr.s_addr, ntohs(peer.sin_port));
  snprintf(want_remote, sizeof want_remote, "%08X:%04X", self.sin_addr.s_addr,
           ntohs(self.sin_port));
  FILE* f = fopen("/proc/net/tcp", "re");
  if (!f) return -1;
  char line[512];
  long uid = -1;
  while (uid < 0 && fgets(line, sizeof line, f)) {
    char local[64], remote[64];
    unsigned state;
    long owner;
    if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %ld", local, remote, &state, &owner) == 4 &&
        strcmp(local, want_local) == 0 && strcmp(remote, want_remote) == 0)
      uid = owner;
  }
  fclose(f);
  return uid;
}

int gdb_handoff_main(int fd) {
  int conn = 0;  // gdb's end: our stdin (and stdout)
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof conn)] = {};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof conn);
  std::memcpy(CMSG_DATA(c), &conn, sizeof conn);
  if (sendmsg(fd, &m, MSG_NOSIGNAL) != 1) {
    fprintf(stderr, "rp: gdb-handoff: %s\n", strerror(errno));
    return 125;
  }
  return 0;
}

int receive_fd(int sock) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

// ---- framing ----

GdbConnection::~GdbConnection() { close(fd_); }

bool GdbConnection::fill(bool block) {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = poll(&p, 1, block ? -1 : 0);
  if (r < 0 && errno == EINTR) return true;
  if (r <= 0) return false;
  char buf[4096];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  in_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> GdbConnection::read_packet() {
  for (;;) {
    while (!in_.empty()) {
      char c = in_[0];
      if (c == '\x03') {
        in_.erase(0, 1);
        return std::string("\x03");
      }
      if (c != '$') {
        in_.erase(0, 1);  // acks, or noise between packets
        continue;
      }
      size_t hash = in_.find('#');
      if (hash == std::string::npos || in_.size() < hash + 3) break;
      std::string payload = in_.substr(1, hash - 1);
      unsigned sum = 0;
      for (unsigned char ch : payload) sum += ch;
      bool ok = (sum & 0xff) == parse_hex(in_.substr(hash + 1, 2));
      in_.erase(0, hash + 3);
      if (acks_) ::send(fd_, ok ? "+" : "-", 1, MSG_NOSIGNAL);
      if (ok || !acks_) return payload;
    }
    if (!fill(true)) return std::nullopt;
  }
}

void GdbConnection::send(const std::string& payload) {
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  char tail[4];
  snprintf(tail, sizeof tail, "#%02x", sum & 0xff);
  std::string frame = "$" + payload + tail;
  for (int attempt = 0; attempt < 3; attempt++) {
    size_t done = 0;
    while (done < frame.size()) {
      ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // gdb has gone; read_packet will say so
      done += static_cast<size_t>(n);
    }
    if (!acks_) return;
    for (;;) {
      if (in_.empty() && !fill(true)) return;
      if (in_.empty()) continue;
      char c = in_[0];
      if (c == '+' || c == '-') in_.erase(0, 1);
      if (c == '-') break;  // resend
      return;
    }
  }
}

bool GdbConnection::interrupt_pending() {
  fill(false);
  while (!in_.empty() && (in_[0] == '+' || in_[0] == '-')) in_.erase(0, 1);
  if (in_.empty() || in_[0] != '\x03') return false;
  in_.erase(0, 1);
  return true;
}

// ---- session ----

std::string stop_reply(int sig, pid_t tid, const std::string& reason) {
  char b[64];
  snprintf(b, sizeof b, "T%02x", gdb_signal_from_host(sig));
  std::string r = b + reason;
  snprintf(b, sizeof b, "thread:%x;", static_cast<unsigned>(tid));
  return r + b;
}

std::string exit_reply(int status) {
  char b[8];
  if (WIFEXITED(status))
    snprintf(b, sizeof b, "W%02x", WEXITSTATUS(status));
  else
    snprintf(b, sizeof b, "X%02x", gdb_signal_from_host(WTERMSIG(status)));
  return b;
}

void GdbServer::console(const std::string& text) {
  if (waiting_) conn_.send("O" + to_hex(text));
}

GdbResume GdbServer::serve(const std::string& stop) {
  if (waiting_) {
    conn_.send(with_processes(stop));
    // gdb takes the stopped thread as the one Hg selected (remote.c's
    // record_currthread) and sends no Hg for it: registers read next are
    // that thread's, not those of the thread gdb selected before.
    g_thread_ = 0;
  }
  waiting_ = false;
  last_stop_ = stop;
  for (;;) {
    auto p = conn_.read_packet();
    if (!p) return GdbResume{GdbResume::kGone};
    if (*p == "\x03") continue;  // already stopped
    auto r = handle(*p);
    if (!r) continue;
    waiting_ = r->kind <= GdbResume::kReverseStep;
    return *r;
  }
}

pid_t GdbServer::thread_or_current(pid_t t) { return t > 0 ? t : b_.current_thread(); }

std::string GdbServer::thread_id(pid_t tid) {
  char b[40];
  if (multiprocess_)
    snprintf(b, sizeof b, "p%x.%x", static_cast<unsigned>(b_.process_of(tid)),
             static_cast<unsigned>(tid));
  else
    snprintf(b, sizeof b, "%x", static_cast<unsigned>(tid));
  return b;
}

// "T05...;thread:TID;" -> "...thread:pPID.TID;" (and fork:, vfork:), for multiprocess.
std::string GdbServer::with_processes(const std::string& reply) {
  if (!multiprocess_ || reply.empty() || reply[0] != 'T') return reply;
  std::string out = reply.substr(0, 3);
  size_t at = 3;
  while (at < reply.size()) {
    size_t colon = reply.find(':', at), end = reply.find(';', at);
    if (colon == std::string::npos || end == std::string::npos || colon > end) {
      out += reply.substr(at);
      break;
    }
    std::string key = reply.substr(at, colon - at), value = reply.substr(colon + 1, end - colon - 1);
    if (key == "thread" || key == "fork" || key == "vfork") value = thread_id(static_cast<pid_t>(parse_hex(value)));
    out += key + ":" + value + ";";
    at = end + 1;
  }
  return out;
}

// A Z/z packet for a process gdb does not debug here (a fork child it
// detaches): that process runs without breakpoints anyway.
bool GdbServer::other_process(pid_t tid) {
  return multiprocess_ && tid > 0 && !b_.in_debugged_memory(tid);
}

std::optional<GdbResume> GdbServer::handle(const std::string& p) {
  switch (p[0]) {
    case '?': conn_.send(with_processes(last_stop_)); return std::nullopt;
    case 'H': {
      pid_t t = parse_thread(p.substr(2));
      (p[1] == 'g' ? g_thread_ : c_thread_) = t;
      conn_.send("OK");
      return std::nullopt;
    }
    case 'T': {
      pid_t t = parse_thread(p.substr(1));
      bool alive = false;
      for (pid_t x : b_.threads()) alive |= x == t;
      conn_.send(alive ? "OK" : "E01");
      return std::nullopt;
    }
    case 'g': case 'G': case 'p': case 'P': conn_.send(regs_packet(p)); return std::nullopt;
    case 'm': case 'M': case 'X': conn_.send(memory_packet(p)); return std::nullopt;
    case 'Z': case 'z':
      conn_.send(other_process(g_thread_) ? "OK" : point_packet(p));
      return std::nullopt;
    // The replay delivers the recorded signals whatever gdb passes in C/S.
    case 'c': case 'C': return GdbResume{GdbResume::kContinue};
    case 's': case 'S': return GdbResume{GdbResume::kStep, thread_or_current(c_thread_)};
    case 'b':
      if (p == "bc") return GdbResume{GdbResume::kReverseContinue};
      if (p == "bs") return GdbResume{GdbResume::kReverseStep, thread_or_current(c_thread_)};
      break;
    case 'k': return GdbResume{GdbResume::kKill};
    case 'D':
      conn_.send("OK");
      if (multiprocess_ && p.size() > 2 && p[1] == ';' &&
          !b_.detach_process(static_cast<pid_t>(parse_hex(p.substr(2)))))
        return std::nullopt;
      return GdbResume{GdbResume::kDetach};
    case 'v': {
      if (starts_with(p, "vCont")) return vcont(p);
      if (starts_with(p, "vKill")) {
        conn_.send("OK");
        return GdbResume{GdbResume::kKill};
      }
      break;
    }
    case 'q': case 'Q':
      conn_.send(query_packet(p));
      if (p == "QStartNoAckMode") conn_.stop_acks();  // that OK was still acknowledged
      return std::nullopt;
  }
  conn_.send("");  // not supported
  return std::nullopt;
}

std::optional<GdbResume> GdbServer::vcont(const std::string& p) {
  if (p == "vCont?") {
    conn_.send("vCont;c;C;s;S");
    return std::nullopt;
  }
  // vCont;ACTION[:THREAD]...: all-stop, so only a step (and its thread)
  // matters; the other threads run as the recording says.
  size_t at = 6;
  while (at < p.size()) {
    size_t end = p.find(';', at);
    std::string a = p.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!a.empty() && (a[0] == 's' || a[0] == 'S')) {
      size_t colon = a.find(':');
      pid_t t = colon == std::string::npos ? 0 : parse_thread(a.substr(colon + 1));
      return GdbResume{GdbResume::kStep, thread_or_current(t > 0 ? t : c_thread_)};
    }
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return GdbResume{GdbResume::kContinue};
}

std::string GdbServer::regs_packet(const std::string& p) {
  pid_t t = thread_or_current(g_thread_);
  auto regs = b_.read_registers(t);
  if (!regs) return "E01";
  if (p[0] == 'g') return to_hex(*regs);
  if (p[0] == 'G') return b_.write_registers(t, from_hex(p.substr(1))) ? "OK" : "E01";
  size_t at = 1;
  auto slot = gdb_reg_slot(static_cast<int>(parse_hex(p, at)));
  if (!slot) return "E00";
  if (p[0] == 'p') return to_hex(regs->substr(slot->offset, slot->size));
  std::string v = from_hex(p.substr(at + 1));
  if (v.size() != slot->size) return "E00";
  regs->replace(slot->offset, slot->size, v);
  return b_.write_registers(t, *regs) ? "OK" : "E01";
}

std::string GdbServer::memory_packet(const std::string& p) {
  size_t at = 1;
  uint64_t addr = parse_hex(p, at);
  uint64_t len = parse_hex(p, ++at);
  if (p[0] == 'm') {
    std::string data = b_.read_memory(addr, std::min<uint64_t>(len, 0x2000));
    return data.empty() && len ? "E01" : to_hex(data);
  }
  std::string payload = p.substr(at + 1);
  std::string data = p[0] == 'M' ? from_hex(payload) : unescape_binary(payload);
  if (data.size() != len) return "E00";
  return len == 0 || b_.write_memory(addr, data) ? "OK" : "E01";
}

std::string GdbServer::point_packet(const std::string& p) {
  size_t at = 1;
  int type = static_cast<int>(parse_hex(p, at));
  uint64_t addr = parse_hex(p, ++at);
  int len = static_cast<int>(parse_hex(p, ++at));
  if (p[0] == 'z') return b_.remove_point(type, addr, len) ? "OK" : "E01";
  int r = b_.insert_point(type, addr, len);
  return r > 0 ? "OK" : r == 0 ? "" : "E01";
}

std::string GdbServer::query_packet(const std::string& p) {
  if (starts_with(p, "qSupported")) {
    // Fork events need process ids in thread ids (to tell parent and child).
    fork_events_ = offer_fork_events_ && p.find("fork-events+") != std::string::npos &&
                   p.find("multiprocess+") != std::string::npos;
    multiprocess_ = fork_events_;
    vfork_events_ = fork_events_ && p.find("vfork-events+") != std::string::npos;
    return std::string("PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+;"
                       "qXfer:exec-file:read+;qXfer:siginfo:read+;swbreak+;vContSupported+;"
                       "ReverseContinue+;ReverseStep+;QPassSignals+") +
           (fork_events_ ? ";multiprocess+;fork-events+" : "") +
           (vfork_events_ ? ";vfork-events+" : "");
  }
  if (p == "qC") return "QC" + thread_id(b_.current_thread());
  if (p == "qfThreadInfo") {
    std::string r = "m";
    for (pid_t t : b_.threads()) r += (r.size() > 1 ? "," : "") + thread_id(t);
    return r.size() > 1 ? r : "l";
  }
  if (p == "qsThreadInfo") return "l";
  if (p == "qAttached") return "0";  // the replay was started for gdb: quitting kills it
  if (p == "qSymbol::" || p == "QStartNoAckMode") return "OK";
  if (starts_with(p, "QPassSignals:")) {
    pass_signals_.clear();
    size_t at = 13;
    while (at < p.size()) {
      int sig = host_signal_from_gdb(static_cast<int>(parse_hex(p, at)));
      if (sig) pass_signals_.insert(sig);
      at++;
    }
    return "OK";
  }
  if (starts_with(p, "qRcmd,")) {
    std::string out = b_.monitor(from_hex(p.substr(6)));
    return out.empty() ? "OK" : to_hex(out);
  }
  if (starts_with(p, "qXfer:")) {
    // qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH
    size_t a = p.find(':', 6), b = p.find(':', a + 1), c = p.find(':', b + 1);
    if (c == std::string::npos || p.compare(a + 1, b - a - 1, "read") != 0) return "";
    auto data = b_.xfer(p.substr(6, a - 6), p.substr(b + 1, c - b - 1));
    if (!data) return "E00";
    size_t at = c + 1;
    uint64_t off = parse_hex(p, at);
    uint64_t len = parse_hex(p, ++at);
    if (off >= data->size()) return "l";
    std::string chunk = data->substr(off, len);
    return (off + chunk.size() < data->size() ? "m" : "l") + escape_binary(chunk);
  }
  return "";
}

}  // namespace rp
