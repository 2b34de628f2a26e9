#include "render.h"

#include <sys/wait.h>

#include <cinttypes>
#include <cstring>

#include "insn.h"
#include "syscall_table.h"

namespace rp {
namespace {

std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%#" PRIx64, v);
  return b;
}

std::string signame(int sig) {
  const char* n = sigabbrev_np(sig);
  return n ? std::string("SIG") + n : "signal " + std::to_string(sig);
}

std::string render_arg(const Event& e, char kind, uint64_t v) {
  switch (kind) {
    case 'f':
      if (static_cast<int32_t>(v) == -100) return "AT_FDCWD";
      return std::to_string(static_cast<int32_t>(v));
    case 'd': return std::to_string(static_cast<int64_t>(v));
    case 'u': return std::to_string(v);
    case 'o': {
      char b[32];
      snprintf(b, sizeof b, "0%" PRIo64, v);
      return b;
    }
    case 's':
      for (const auto& m : e.mem)
        if (m.input && m.addr == v) return quote(m.bytes);
      [[fallthrough]];
    case 'p': return v ? hex(v) : "NULL";
    default: return hex(v);
  }
}

}  // namespace

std::string quote(const std::string& s, size_t max) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c >= 32 && c < 127) {
          out += static_cast<char>(c);
        } else {
          char b[8];
          snprintf(b, sizeof b, "\\%o", c);
          out += b;
        }
    }
  }
  out += "\"";
  if (s.size() > max) out += "...";
  return out;
}

std::string render_return(int64_t ret) {
  if (ret < 0 && ret > -4096) {
    int err = static_cast<int>(-ret);
    const char* name = strerrorname_np(err);
    if (err >= 512 && err <= 516) {
      static const char* restart[] = {"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND",
                                      "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK"};
      return "? " + std::string(restart[err - 512]) + " (to be restarted)";
    }
    return "-1 " + std::string(name ? name : "E?") + " (" + strerror(err) + ")";
  }
  if (ret > 0xffffff || ret < -0xffffff) return hex(static_cast<uint64_t>(ret));
  return std::to_string(ret);
}

std::string render_bytes(const std::string& b, size_t max) {
  std::string out;
  char x[4];
  for (size_t i = 0; i < b.size() && i < max; i++) {
    snprintf(x, sizeof x, "%02x", static_cast<unsigned char>(b[i]));
    if (i) out += ' ';
    out += x;
  }
  if (b.size() > max) out += " ...";
  return out;
}

std::string render_wait_status(int64_t st) {
  int s = static_cast<int>(st);
  if (WIFEXITED(s)) return "exited with " + std::to_string(WEXITSTATUS(s));
  if (WIFSIGNALED(s))
    return "killed by " + signame(WTERMSIG(s)) + (WCOREDUMP(s) ? " (core dumped)" : "");
  return "status " + hex(static_cast<uint64_t>(st));
}

std::string render_call(const Event& e, bool with_ret) {
  const SyscallSpec* s = syscall_spec(e.nr);
  std::string out = s ? s->name : "syscall_" + std::to_string(e.nr);
  out += "(";
  const char* kinds = s ? s->arg_kinds : "xxxxxx";
  for (int i = 0; kinds[i]; i++) {
    if (i) out += ", ";
    out += render_arg(e, kinds[i], e.args[i]);
  }
  out += ")";
  if (with_ret) out += " = " + render_return(e.ret);
  if (!s) out += "  <unknown syscall: arguments and result recorded, buffers unknown>";
  return out;
}

std::string render_event(const Event& e) {
  char head[64];
  snprintf(head, sizeof head, "%6" PRIu64 " %7d  ", e.seq, e.tid);
  switch (e.kind) {
    case EventKind::kSyscall: return head + render_call(e);
    case EventKind::kSignal: {
      std::string out = head + std::string("--- ") + signame(static_cast<int>(e.nr));
      if (e.extra.size() >= sizeof(SignalExtra)) {
        SignalExtra x;
        std::memcpy(&x, e.extra.data(), sizeof x);
        int32_t code;
        std::memcpy(&code, x.siginfo + 8, 4);
        out += " {si_code=" + std::to_string(code) + "}";
        out += x.at_syscall ? " at syscall return" : " in user code";
      }
      return out + " ---";
    }
    case EventKind::kTaskExit: return head + std::string("+++ ") + render_wait_status(e.ret) + " +++";
    case EventKind::kPreempt: return head + std::string("--- preempted in user code ---");
    case EventKind::kInsn: {
      char b[160];
      snprintf(b, sizeof b, "%s = rax %#" PRIx64 " rdx %#" PRIx64 " rcx %#" PRIx64 " rbx %#" PRIx64,
               trapped_insn_name(static_cast<TrappedInsn>(e.nr)), e.args[0], e.args[1], e.args[2],
               e.args[3]);
      return head + std::string(b);
    }
  }
  return head;
}

}  // namespace rp
