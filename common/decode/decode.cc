// Arguments that are values (flags, enums, numbers) and the call as a whole.
#include "decode/decode.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "buffers.h"
#include "decode/internal.h"
#include "decode/xlat.h"
#include "render.h"
#include "syscall_table.h"

namespace rp::decode {
namespace {

#if defined(__x86_64__)
constexpr bool kX86_64 = true;  // clone's argument order differs on arm64
#else
constexpr bool kX86_64 = false;
#endif

std::string open_flags(uint64_t v) {
  std::string acc = enum_text(kOpenAccess, v & O_ACCMODE);
  uint64_t rest = v & ~static_cast<uint64_t>(O_ACCMODE);
  return rest ? acc + "|" + flags_text(kOpenFlags, rest) : acc;
}

std::string sock_type(uint64_t v) {
  uint64_t flags = v & (SOCK_NONBLOCK | SOCK_CLOEXEC);
  std::string t = enum_text(kSockTypes, v & ~flags);
  return flags ? t + "|" + flags_text(kSockTypeFlags, flags) : t;
}

std::string clone_flags(uint64_t v) {
  uint64_t sig = v & 0xff, flags = v & ~0xffull;
  std::string f = flags ? flags_text(kCloneFlags, flags) : "";
  if (!sig) return f.empty() ? "0" : f;
  return f.empty() ? signal_name(static_cast<int64_t>(sig)) : f + "|" + signal_name(sig);
}

std::string ioctl_request(uint64_t v) {
  v &= 0xffffffff;
  if (const char* n = enum_name(kIoctls, v)) return n;
  static const char* kDirs[] = {"_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"};
  char b[96];
  snprintf(b, sizeof b, "_IOC(%s, %#x, %#x, %#x)", kDirs[_IOC_DIR(v) & 3],
           static_cast<unsigned>(_IOC_TYPE(v)), static_cast<unsigned>(_IOC_NR(v)),
           static_cast<unsigned>(_IOC_SIZE(v)));
  return b;
}

std::string futex_op(uint64_t v) {
  uint64_t cmd = v & FUTEX_CMD_MASK;
  std::string s = enum_text(kFutexCmds, cmd);
  if (v & FUTEX_PRIVATE_FLAG) s += "_PRIVATE";
  if (v & FUTEX_CLOCK_REALTIME) s += "|FUTEX_CLOCK_REALTIME";
  return s;
}

// fcntl's third argument means something else for every command.
std::optional<std::string> fcntl_arg(const Event& e) {
  uint64_t v = e.args[2];
  switch (e.args[1]) {
    case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG: case F_GETLEASE:
    case F_GETPIPE_SZ: case F_GET_SEALS:
      return std::nullopt;
    case F_SETFD: return flags_text(kFdFlags, v);
    case F_SETFL: return open_flags(v);
    case F_SETSIG: return signal_name(static_cast<int64_t>(v));
    case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK:
    case F_OFD_SETLKW: case F_GETOWN_EX: case F_SETOWN_EX:
      return ptr(v);
    default: return std::to_string(static_cast<int64_t>(v));
  }
}

std::string sock_proto(const Event& e) {
  uint64_t family = e.args[0], v = e.args[2];
  if (family == AF_INET || family == AF_INET6) return enum_text(kIpProtos, v);
  return std::to_string(static_cast<int64_t>(v));
}

// nullopt: the argument is not printed (as strace omits open's mode without O_CREAT).
std::optional<std::string> decode_value(ArgKind k, Ctx& c, int i) {
  const uint64_t v = c.arg(i);
  switch (k) {
    case A_INT: return std::to_string(static_cast<int32_t>(v));
    case A_LONG: return std::to_string(static_cast<int64_t>(v));
    case A_UINT: return std::to_string(v);
    case A_HEX: return hex(v);
    case A_MODE: return mode_text(v);
    case A_PTR: return ptr(v);
    case A_FD: return std::to_string(static_cast<int32_t>(v));
    case A_DIRFD:
      return static_cast<int32_t>(v) == AT_FDCWD ? "AT_FDCWD"
                                                 : std::to_string(static_cast<int32_t>(v));
    case A_PATH:
      if (const std::string* s = c.in(v)) return quote(*s, SIZE_MAX);
      if (c.o.first_exec && (c.e.nr == SYS_execve || c.e.nr == SYS_execveat))
        return quote(c.o.first_exec->path, SIZE_MAX);
      return ptr(v);
    case A_OPEN_FLAGS: return open_flags(v);
    case A_OPEN_MODE:
      if ((c.arg(i - 1) & O_CREAT) || (c.arg(i - 1) & O_TMPFILE) == O_TMPFILE)
        return mode_text(v);
      return std::nullopt;
    case A_AT_FLAGS: return flags_text(kAtFlags, v);
    case A_ACCESS_MODE: return flags_text(kAccessModes, v, "F_OK");
    case A_PROT: return flags_text(kProt, v, "PROT_NONE");
    case A_MAP_FLAGS: {
      std::string t = enum_text(kMapType, v & 3);
      return v & ~3ull ? t + "|" + flags_text(kMapFlags, v & ~3ull) : t;
    }
    case A_MREMAP_FLAGS: return flags_text(kMremapFlags, v);
    case A_MADVISE: return enum_text(kMadvise, v);
    case A_FAMILY: return enum_text(kAddressFamilies, v);
    case A_SOCK_TYPE: return sock_type(v);
    case A_SOCK_PROTO: return sock_proto(c.e);
    case A_SOCK_FLAGS: return flags_text(kSockTypeFlags, v);
    case A_SOCK_LEVEL: return enum_text(kSockLevels, v);
    case A_SOCK_OPT:
      return c.arg(1) == SOL_SOCKET ? enum_text(kSocketOptions, v)
                                    : std::to_string(static_cast<int64_t>(v));
    case A_MSG_FLAGS: return flags_text(kMsgFlags, v);
    case A_SHUTDOWN: return enum_text(kShutdownHow, v);
    case A_SIGNAL: return v ? signal_name(static_cast<int64_t>(v)) : "0";
    case A_CLONE_FLAGS: return clone_flags(v);
    case A_NS_FLAGS: return flags_text(kCloneFlags, v);  // no exit signal in the low byte
    case A_IOCTL_REQ: return ioctl_request(v);
    case A_FCNTL_CMD: return enum_text(kFcntlCmds, v);
    case A_FCNTL_ARG: return fcntl_arg(c.e);
    case A_PRCTL_OP: return enum_text(kPrctlOps, v);
    case A_ARCH_PRCTL: {
      const char* n = enum_name(kArchPrctlCodes, v);
      return n ? n : hex(v);
    }
    case A_FUTEX_OP: return futex_op(v);
    case A_SIGMASK_HOW: return enum_text(kSigprocmaskHow, v);
    case A_WHENCE: return enum_text(kWhence, v);
    case A_CLOCK: return enum_text(kClocks, v);
    case A_WAIT_OPTIONS: return flags_text(kWaitOptions, v);
    case A_EPOLL_OP: return enum_text(kEpollOps, v);
    case A_RLIMIT: return enum_text(kRlimits, v);
    case A_RANDOM_FLAGS: return flags_text(kRandomFlags, v);
    case A_MEMFD_FLAGS: return flags_text(kMemfdFlags, v);
    case A_FD_FLAGS: return flags_text(kOpenFlags, v);
    case A_EPOLL_FLAGS: return flags_text(kEpollCreateFlags, v);
    case A_EVENTFD_FLAGS: return flags_text(kEventfdFlags, v);
    default: break;
  }
  if (auto m = decode_memory(k, c, i)) return m;
  return hex(v);
}

// syscalls.def's one-letter kinds, for syscalls args.def does not list.
std::string decode_letter(char kind, Ctx& c, int i) {
  switch (kind) {
    case 'f': return *decode_value(A_DIRFD, c, i);
    case 'd': return *decode_value(A_INT, c, i);
    case 'u': return *decode_value(A_UINT, c, i);
    case 'o': return *decode_value(A_MODE, c, i);
    case 's': return *decode_value(A_PATH, c, i);
    case 'p': return *decode_value(A_PTR, c, i);
    default: return hex(c.arg(i));
  }
}

std::string decode_ret(RetKind k, const Event& e) {
  const bool failed = syscall_failed(e.ret);
  if (e.extra == kNoReturn || k == R_NONE) return "?";
  if (failed) return render_return(e.ret);
  const uint64_t v = static_cast<uint64_t>(e.ret);
  switch (k) {
    case R_HEX: return hex(v);
    case R_MODE: return mode_text(v);
    case R_FCNTL:
      if (e.args[1] == F_GETFD) return hex(v) + " (flags " + flags_text(kFdFlags, v) + ")";
      if (e.args[1] == F_GETFL) return hex(v) + " (flags " + open_flags(v) + ")";
      return render_return(e.ret);
    default: return render_return(e.ret);
  }
}

// strace prints only the arguments an operation uses.
int used_args(const Event& e, int nargs) {
  if (e.nr == SYS_futex) {
    switch (e.args[1] & FUTEX_CMD_MASK) {
      case FUTEX_WAKE: case FUTEX_FD: return 3;
      case FUTEX_UNLOCK_PI: case FUTEX_TRYLOCK_PI: return 2;
      case FUTEX_WAIT: case FUTEX_LOCK_PI: case FUTEX_LOCK_PI2: return 4;
      case FUTEX_REQUEUE: case FUTEX_WAIT_REQUEUE_PI: return 5;
    }
  }
  if (e.nr == SYS_prctl) {
    switch (e.args[0]) {
      case PR_GET_DUMPABLE: case PR_GET_KEEPCAPS: case PR_GET_SECCOMP: case PR_GET_TIMERSLACK:
      case PR_GET_NO_NEW_PRIVS: case PR_GET_THP_DISABLE:
        return 1;
      case PR_SET_DUMPABLE: case PR_SET_KEEPCAPS: case PR_SET_PDEATHSIG: case PR_GET_PDEATHSIG:
      case PR_SET_NAME: case PR_GET_NAME: case PR_SET_TSC: case PR_GET_TSC:
      case PR_SET_TIMERSLACK: case PR_SET_CHILD_SUBREAPER: case PR_GET_CHILD_SUBREAPER:
      case PR_CAPBSET_READ: case PR_CAPBSET_DROP: case PR_SET_THP_DISABLE:
        return 2;
    }
  }
  return nargs;
}

// clone as strace names its x86_64 arguments: only those the flags use.
std::vector<std::string> clone_args(const Event& e) {
  const uint64_t f = e.args[0];
  std::vector<std::string> out = {"child_stack=" + ptr(e.args[1]), "flags=" + clone_flags(f)};
  if (f & CLONE_PARENT_SETTID) out.push_back("parent_tid=" + ptr(e.args[2]));
  if (f & CLONE_SETTLS) out.push_back("tls=" + hex(e.args[4]));
  if (f & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) out.push_back("child_tidptr=" + ptr(e.args[3]));
  return out;
}

}  // namespace

const std::string* Ctx::out(uint64_t addr, size_t min) {
  for (size_t i = 0; i < e.mem.size(); i++) {
    const MemRecord& m = e.mem[i];
    if (m.input || m.addr != addr || m.bytes.size() < min) continue;
    shown[i] = true;
    return &m.bytes.str();
  }
  return nullptr;
}

const std::string* Ctx::in(uint64_t addr) const {
  for (const auto& m : e.mem)
    if (m.input && m.addr == addr) return &m.bytes.str();
  return nullptr;
}

// A restart_syscall shown as what it continues (its record carries that
// call's arguments: rp_restart_args, rp_abi.h), as strace shows it.
Call decode_restart(const Event& e, const Options& o, int64_t continued) {
  Event inner = e;
  inner.nr = continued;
  Call c = decode_call(inner, o);
  Call call;
  call.known = true;
  call.name = syscall_spec(e.nr)->name;
  call.args = {"<... resuming interrupted " + call_text(c, false) + " ...>"};
  call.ret = c.ret;
  call.mem_shown = std::move(c.mem_shown);
  return call;
}

Call decode_call(const Event& e, const Options& o) {
  if (int64_t continued = buffers_nr(e.nr, e.args); continued != e.nr)
    return decode_restart(e, o, continued);
  Call call;
  call.mem_shown.assign(e.mem.size(), false);
  Ctx c{e, o, call.mem_shown};
  const SyscallSpec* s = syscall_spec(e.nr);
  call.known = s != nullptr;
  call.name = s ? s->name : "syscall_" + std::to_string(e.nr);
  const ArgsSpec* a = s ? args_spec(s->name) : nullptr;
  if (a && e.nr == SYS_clone && kX86_64) {
    call.args = clone_args(e);
    call.ret = decode_ret(a->ret, e);
  } else if (a) {
    for (int i = 0; i < used_args(e, a->nargs); i++) {
      auto text = decode_value(a->args[i], c, i);
      if (!text) break;
      call.args.push_back(*text);
    }
    call.ret = decode_ret(a->ret, e);
    if (!c.failed() && !c.ret_suffix.empty()) call.ret += " " + c.ret_suffix;
  } else {
    const char* kinds = s ? s->arg_kinds : "xxxxxx";
    for (int i = 0; kinds[i]; i++) call.args.push_back(decode_letter(kinds[i], c, i));
    call.ret = decode_ret(R_DEFAULT, e);
  }
  return call;
}

std::string call_text(const Call& c, bool with_ret) {
  std::string out = c.name + "(";
  for (size_t i = 0; i < c.args.size(); i++) out += (i ? ", " : "") + c.args[i];
  out += ")";
  if (with_ret) out += " = " + c.ret;
  if (!c.known) out += "  <unknown syscall: arguments and result recorded, buffers unknown>";
  return out;
}

uint16_t classes_of(int64_t nr) {
  const SyscallSpec* s = syscall_spec(nr);
  if (!s) return 0;
  if (const ArgsSpec* a = args_spec(s->name)) return a->classes;
  uint16_t c = 0;
  if (std::strchr(s->arg_kinds, 's')) c |= C_FILE;
  if (s->arg_kinds[0] == 'f') c |= C_DESC;
  return c;
}

}  // namespace rp::decode
