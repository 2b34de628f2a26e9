// Arguments pointing to memory the kernel wrote, decoded from the recorded
// bytes: structs (stat, sockaddr, timespec, pollfd, ...), data and strings.
// Without recorded bytes (the call failed, or the pointer was NULL) they
// print as the pointer, as strace does.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>

#include <array>

#include "decode/internal.h"
#include "decode/xlat.h"

namespace rp::decode {
namespace {

// The kernel's struct sigaction for rt_sigaction (not glibc's).
struct KernelSigaction {
  uint64_t handler, flags, restorer, mask;
};

std::string file_mode(uint64_t m) {
  std::string t = enum_text(kFileTypes, m & S_IFMT);
  if (m & S_ISUID) t += "|S_ISUID";
  if (m & S_ISGID) t += "|S_ISGID";
  if (m & S_ISVTX) t += "|S_ISVTX";
  return t + "|" + mode_text(m & 0777);
}

std::string stat_text(const std::string& b) {
  auto st = load<struct stat>(b);
  std::string out = "{st_mode=" + file_mode(st.st_mode);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    char d[64];
    snprintf(d, sizeof d, "makedev(%#x, %#x)", major(st.st_rdev), minor(st.st_rdev));
    out += ", st_rdev=" + std::string(d);
  } else {
    out += ", st_size=" + std::to_string(st.st_size);
  }
  return out + ", ...}";
}

std::string statx_text(const std::string& b) {
  auto st = load<struct statx>(b);
  return "{stx_mode=" + file_mode(st.stx_mode) + ", stx_size=" + std::to_string(st.stx_size) +
         ", ...}";
}

std::string sockaddr_text(const std::string& b) {
  if (b.size() < sizeof(sa_family_t)) return "{}";
  auto family = load<sa_family_t>(b);
  std::string out = "{sa_family=" + enum_text(kAddressFamilies, family);
  char addr[INET6_ADDRSTRLEN];
  if (family == AF_INET && b.size() >= sizeof(sockaddr_in)) {
    auto in = load<sockaddr_in>(b);
    inet_ntop(AF_INET, &in.sin_addr, addr, sizeof addr);
    out += ", sin_port=htons(" + std::to_string(ntohs(in.sin_port)) + "), sin_addr=inet_addr(\"" +
           addr + "\")";
  } else if (family == AF_INET6 && b.size() >= sizeof(sockaddr_in6)) {
    auto in6 = load<sockaddr_in6>(b);
    inet_ntop(AF_INET6, &in6.sin6_addr, addr, sizeof addr);
    out += ", sin6_port=htons(" + std::to_string(ntohs(in6.sin6_port)) +
           "), sin6_flowinfo=htonl(" + std::to_string(ntohl(in6.sin6_flowinfo)) +
           "), inet_pton(AF_INET6, \"" + addr + "\", &sin6_addr), sin6_scope_id=" +
           std::to_string(in6.sin6_scope_id);
  } else if (family == AF_UNIX && b.size() > offsetof(sockaddr_un, sun_path)) {
    std::string path = b.substr(offsetof(sockaddr_un, sun_path));
    bool abstract = path[0] == '\0';
    if (abstract) path.erase(0, 1);
    else path = path.substr(0, path.find('\0'));
    out += ", sun_path=" + std::string(abstract ? "@" : "") + quote(path, SIZE_MAX);
  } else if (b.size() > sizeof(sa_family_t)) {
    out += ", ...";
  }
  return out + "}";
}

std::string timespec_text(const std::string& b) {
  auto ts = load<struct timespec>(b);
  return "{tv_sec=" + std::to_string(ts.tv_sec) + ", tv_nsec=" + std::to_string(ts.tv_nsec) + "}";
}

std::string timeval_text(const std::string& b) {
  auto tv = load<struct timeval>(b);
  return "{tv_sec=" + std::to_string(tv.tv_sec) + ", tv_usec=" + std::to_string(tv.tv_usec) + "}";
}

// The requested events as the argument; what came back (revents) after the
// result, as strace prints poll: "= 1 ([{fd=5, revents=POLLIN}])".
std::string pollfds_text(Ctx& c, const std::string& b) {
  std::string out = "[", back;
  for (size_t off = 0; off + sizeof(pollfd) <= b.size(); off += sizeof(pollfd)) {
    auto p = load<pollfd>(b, off);
    out += (off ? ", " : "") + std::string("{fd=") + std::to_string(p.fd) +
           ", events=" + flags_text(kPollEvents, static_cast<uint16_t>(p.events)) + "}";
    if (p.revents)
      back += (back.empty() ? "" : ", ") + std::string("{fd=") + std::to_string(p.fd) +
              ", revents=" + flags_text(kPollEvents, static_cast<uint16_t>(p.revents)) + "}";
  }
  if (!back.empty()) c.ret_suffix = "([" + back + "])";
  return out + "]";
}

std::string epoll_events_text(const std::string& b) {
  std::string out = "[";
  for (size_t off = 0; off + sizeof(epoll_event) <= b.size(); off += sizeof(epoll_event)) {
    auto ev = load<epoll_event>(b, off);
    out += (off ? ", " : "") + std::string("{events=") + flags_text(kEpollEvents, ev.events) +
           ", data={u32=" + std::to_string(static_cast<uint32_t>(ev.data.u64)) +
           ", u64=" + std::to_string(ev.data.u64) + "}}";
  }
  return out + "]";
}

// strace's sigset notation: [INT TERM], or ~[...] of the complement when
// most signals are set.
std::string sigset_text(uint64_t set) {
  bool invert = __builtin_popcountll(set) > 32;
  if (invert) set = ~set;
  std::string out = invert ? "~[" : "[";
  bool first = true;
  for (int sig = 1; sig <= 64; sig++) {
    if (!(set & (1ull << (sig - 1)))) continue;
    std::string n = signal_name(sig);
    if (n.rfind("SIG", 0) == 0) n.erase(0, 3);
    out += (first ? "" : " ") + n;
    first = false;
  }
  return out + "]";
}

std::string sigaction_text(const std::string& b) {
  auto sa = load<KernelSigaction>(b);
  std::string h = sa.handler == 0 ? "SIG_DFL" : sa.handler == 1 ? "SIG_IGN" : hex(sa.handler);
  std::string out = "{sa_handler=" + h + ", sa_mask=" + sigset_text(sa.mask) +
                    ", sa_flags=" + flags_text(kSigactionFlags, sa.flags);
  if (sa.flags & SA_RESTORER) out += ", sa_restorer=" + hex(sa.restorer);
  return out + "}";
}

std::string wait_status_text(int s) {
  std::string sig;
  if (WIFEXITED(s)) return "[{WIFEXITED(s) && WEXITSTATUS(s) == " + std::to_string(WEXITSTATUS(s)) + "}]";
  if (WIFSIGNALED(s))
    return "[{WIFSIGNALED(s) && WTERMSIG(s) == " + signal_name(WTERMSIG(s)) +
           (WCOREDUMP(s) ? " && WCOREDUMP(s)" : "") + "}]";
  if (WIFSTOPPED(s)) return "[{WIFSTOPPED(s) && WSTOPSIG(s) == " + signal_name(WSTOPSIG(s)) + "}]";
  return "[" + hex(static_cast<unsigned>(s)) + "]";
}

// The data buffers of a readv/recvmsg, in the order the kernel filled them
// (the iovec array itself was only read by the kernel, so it is not recorded).
std::string iov_text(Ctx& c, const std::vector<uint64_t>& skip) {
  std::string out = "[";
  bool first = true;
  for (size_t i = 0; i < c.e.mem.size(); i++) {
    const MemRecord& m = c.e.mem[i];
    if (m.input || c.shown[i]) continue;
    bool skipped = false;
    for (uint64_t a : skip) skipped |= a == m.addr;
    if (skipped) continue;
    c.shown[i] = true;
    out += (first ? "" : ", ") + std::string("{iov_base=") + quote(m.bytes.str(), c.o.string_limit) + "}";
    first = false;
  }
  return out + "]";
}

std::string msghdr_text(Ctx& c, const std::string& b) {
  auto h = load<msghdr>(b);
  std::string name = ptr(reinterpret_cast<uint64_t>(h.msg_name));
  if (const std::string* n = c.out(reinterpret_cast<uint64_t>(h.msg_name))) name = sockaddr_text(*n);
  uint64_t ctl = reinterpret_cast<uint64_t>(h.msg_control);
  c.out(ctl);  // control data: counted as shown through msg_controllen
  std::string iov = iov_text(c, {reinterpret_cast<uint64_t>(h.msg_name), ctl});
  return "{msg_name=" + name + ", msg_namelen=" + std::to_string(h.msg_namelen) +
         ", msg_iov=" + iov + ", msg_iovlen=" + std::to_string(h.msg_iovlen) +
         ", msg_controllen=" + std::to_string(h.msg_controllen) +
         ", msg_flags=" + flags_text(kMsgFlags, static_cast<unsigned>(h.msg_flags)) + "}";
}

// getdents/getdents64 records: d_reclen at the same offset in both layouts.
std::string dirents_text(uint64_t addr, const std::string& b) {
  size_t n = 0;
  constexpr size_t kReclen = 16;
  for (size_t off = 0; off + kReclen + 2 <= b.size(); n++) {
    auto len = load<uint16_t>(b, off + kReclen);
    if (len == 0) break;
    off += len;
  }
  return hex(addr) + " /* " + std::to_string(n) + (n == 1 ? " entry */" : " entries */");
}

std::string utsname_text(const std::string& b) {
  auto u = load<struct utsname>(b);
  auto f = [](const char* s) { return quote(std::string(s, strnlen(s, _UTSNAME_LENGTH)), SIZE_MAX); };
  return "{sysname=" + f(u.sysname) + ", nodename=" + f(u.nodename) + ", ...}";
}

std::string rlimit_value(uint64_t v) {
  return v == RLIM_INFINITY ? "RLIM_INFINITY" : std::to_string(v);
}

std::string ioctl_arg_text(Ctx& c) {
  const uint64_t req = c.arg(1) & 0xffffffff, p = c.arg(2);
  if (req == TIOCGWINSZ) {
    if (const std::string* b = c.out(p, sizeof(winsize))) {
      auto w = load<winsize>(*b);
      return "{ws_row=" + std::to_string(w.ws_row) + ", ws_col=" + std::to_string(w.ws_col) +
             ", ws_xpixel=" + std::to_string(w.ws_xpixel) +
             ", ws_ypixel=" + std::to_string(w.ws_ypixel) + "}";
    }
  }
  if (req == TCGETS) {
    if (const std::string* b = c.out(p, 16)) {
      auto t = load<std::array<uint32_t, 4>>(*b);
      return "{c_iflag=" + hex(t[0]) + ", c_oflag=" + hex(t[1]) + ", c_cflag=" + hex(t[2]) +
             ", c_lflag=" + hex(t[3]) + ", ...}";
    }
  }
  if (const std::string* b = c.out(p)) {
    if (b->size() == 4) return "[" + std::to_string(load<int32_t>(*b)) + "]";
    return hex(p) + " /* " + std::to_string(b->size()) + " bytes */";
  }
  return hex(p);
}

}  // namespace

std::optional<std::string> decode_memory(ArgKind k, Ctx& c, int i) {
  const uint64_t p = c.arg(i);
  const std::string* b = nullptr;
  // A failed call's buffers hold nothing it wrote (FIXED-size buffers are
  // recorded anyway), except a sleep's remaining time on EINTR.
  auto got = [&](size_t min) {
    if (c.failed() && k != A_TIMESPEC) return false;
    return (b = c.out(p, min)) != nullptr;
  };
  switch (k) {
    case A_DATA:
      if (got(1)) return quote(*b, c.o.string_limit, c.e.nr == SYS_getrandom);
      if (!c.failed() && c.e.ret == 0 && p) return "\"\"";
      return ptr(p);
    case A_CSTR_OUT:
      if (got(1)) return quote(b->substr(0, b->find('\0')), SIZE_MAX);
      return ptr(p);
    case A_STAT: return got(sizeof(struct stat)) ? stat_text(*b) : ptr(p);
    case A_STATX: return got(sizeof(struct statx)) ? statx_text(*b) : ptr(p);
    case A_SOCKADDR: return got(1) ? sockaddr_text(*b) : ptr(p);
    case A_SOCKLEN:
    case A_INT_PTR:
      return got(4) ? "[" + std::to_string(load<int32_t>(*b)) + "]" : ptr(p);
    case A_TIMESPEC: return got(sizeof(timespec)) ? timespec_text(*b) : ptr(p);
    case A_TIMEVAL: return got(sizeof(timeval)) ? timeval_text(*b) : ptr(p);
    case A_POLLFDS: return got(sizeof(pollfd)) ? pollfds_text(c, *b) : ptr(p);
    case A_EPOLL_EVENTS: return got(sizeof(epoll_event)) ? epoll_events_text(*b) : ptr(p);
    case A_SIGACTION: return got(sizeof(KernelSigaction)) ? sigaction_text(*b) : ptr(p);
    case A_SIGSET: return got(8) ? sigset_text(load<uint64_t>(*b)) : ptr(p);
    case A_FD_PAIR:
      if (got(8))
        return "[" + std::to_string(load<int32_t>(*b)) + ", " + std::to_string(load<int32_t>(*b, 4)) + "]";
      return ptr(p);
    case A_WAIT_STATUS: return got(4) ? wait_status_text(load<int>(*b)) : ptr(p);
    case A_MSGHDR: return got(sizeof(msghdr)) ? msghdr_text(c, *b) : ptr(p);
    case A_IOV: return c.failed() || !p ? ptr(p) : iov_text(c, {});
    case A_DIRENTS: return got(1) ? dirents_text(p, *b) : ptr(p);
    case A_UTSNAME: return got(sizeof(struct utsname)) ? utsname_text(*b) : ptr(p);
    case A_RLIMIT_OUT:
      if (got(sizeof(rlimit))) {
        auto r = load<rlimit>(*b);
        return "{rlim_cur=" + rlimit_value(r.rlim_cur) + ", rlim_max=" + rlimit_value(r.rlim_max) + "}";
      }
      return ptr(p);
    case A_IOCTL_ARG: return ioctl_arg_text(c);
    case A_ARGV:
      if (c.o.first_exec) {
        const auto& argv = c.o.first_exec->argv;
        std::string out = "[";
        for (size_t j = 0; j < argv.size(); j++)
          out += (j ? ", " : "") + quote(argv[j], c.o.string_limit);
        return out + "]";
      }
      return ptr(p);
    case A_ENVP:
      if (c.o.first_exec)
        return (p ? hex(p) + " " : "") + "/* " + std::to_string(c.o.first_exec->env_vars) +
               " vars */";
      return ptr(p);
    default: return std::nullopt;
  }
}

}  // namespace rp::decode
