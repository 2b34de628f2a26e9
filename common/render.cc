#include "render.h"

#include <errno.h>

#include <sys/wait.h>

#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstring>

#include "buffers.h"
#include "decode/decode.h"
#include "decode/xlat.h"
#include "hex.h"
#include "insn.h"
#include "syscall_table.h"

namespace rp {

std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%#" PRIx64, v);
  return b;
}

namespace {


std::string signame(int sig) { return decode::signal_name(sig); }

}  // namespace

std::string quote(const std::string& s, size_t max) { return decode::quote(s, max); }
std::string render_signal(int sig) { return signame(sig); }

std::string render_return(int64_t ret) {
  if (syscall_failed(ret)) {
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
  std::string out = to_hex(std::string_view(b).substr(0, max), ' ');
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

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

std::string render_call(const Event& e, bool with_ret) {
  return decode::call_text(decode::decode_call(e), with_ret);
}

std::string render_event(const Event& e) {
  char head[64];
  snprintf(head, sizeof head, "%6" PRIu64 " %7d  ", e.seq, e.tid);
  return head + render_event_text(e);
}

std::optional<SwitchPoint> regs_point(std::string_view raw, std::string_view arch) {
  // Word indexes in the raw register set: x86_64 user_regs_struct has rip at
  // 16 and rsp at 19; arm64 user_pt_regs has x0..x30, then sp (31) and pc (32).
  size_t ip_word, sp_word;
  if (arch == "x86_64") {
    ip_word = 16, sp_word = 19;
  } else if (arch == "aarch64") {
    ip_word = 32, sp_word = 31;
  } else {
    return std::nullopt;
  }
  if (raw.size() < (std::max(ip_word, sp_word) + 1) * 8) return std::nullopt;
  SwitchPoint p;
  std::memcpy(&p.ip, raw.data() + ip_word * 8, 8);
  std::memcpy(&p.sp, raw.data() + sp_word * 8, 8);
  if (arch == "x86_64") {  // orig_rax at 15, rax at 10
    int64_t orig_rax, rax;
    std::memcpy(&orig_rax, raw.data() + 15 * 8, 8);
    std::memcpy(&rax, raw.data() + 10 * 8, 8);
    p.entering_syscall = orig_rax >= 0 && rax == -ENOSYS;
  }
  return p;
}

std::optional<SwitchPoint> switch_point(const Event& e, std::string_view arch) {
  if (e.extra.size() < sizeof(SignalExtra)) return std::nullopt;
  const size_t regs_at = offsetof(SignalExtra, regs);
  return regs_point(std::string_view(e.extra).substr(regs_at, sizeof(SignalExtra::regs)), arch);
}

std::string call_maker_note(const Event& e) {
  if (made_by_rp(e)) return " <made by rp: cpuid traps from here>";
  return made_by_tracer(e) ? " <made by its tracer (PTRACE_SYSEMU)>" : "";
}

std::string render_event_text(const Event& e, std::string_view arch) {
  switch (e.kind) {
    case EventKind::kSyscall: return render_call(e) + call_maker_note(e);
    case EventKind::kSignal: {
      std::string out = "--- " + signame(static_cast<int>(e.nr));
      if (std::optional<SignalExtra> x = signal_extra(e)) {
        out += " " + decode::siginfo_text(static_cast<int>(e.nr), x->siginfo);
        out += x->at_syscall ? " at syscall return" : " in user code";
        if (x->disposition == kSigHeld) out += ", stopped for its tracer (not delivered)";
      }
      return out + " ---";
    }
    case EventKind::kTaskExit: return "+++ " + render_wait_status(e.ret) + " +++";
    case EventKind::kPreempt: {
      auto p = switch_point(e, arch);
      if (!p) return "--- switched out in user code (registers not readable) ---";
      return std::string("--- switched out ") +
             (p->entering_syscall ? "entering a syscall" : "in user code") + " at ip=" +
             hex(p->ip) + " sp=" + hex(p->sp) + " ---";
    }
    case EventKind::kInsn: {
      char b[160];
      auto kind = static_cast<TrappedInsn>(e.nr);
      if (kind == TrappedInsn::kCntvct || kind == TrappedInsn::kCntvctss) {
        snprintf(b, sizeof b, "%s = %#" PRIx64 " into x%" PRIu64 " at pc %#" PRIx64,
                 trapped_insn_name(kind), e.args[0], e.args[2], e.args[1]);
        return b;
      }
      int n = snprintf(b, sizeof b, "%s", trapped_insn_name(kind));
      if (kind == TrappedInsn::kCpuid)  // its leaf and subleaf (eax, ecx)
        n += snprintf(b + n, sizeof b - n, "(%#" PRIx64 ", %#" PRIx64 ")", e.args[4], e.args[5]);
      snprintf(b + n, sizeof b - n, " = rax %#" PRIx64 " rdx %#" PRIx64 " rcx %#" PRIx64
               " rbx %#" PRIx64, e.args[0], e.args[1], e.args[2], e.args[3]);
      return b;
    }
  }
  return "";
}

}  // namespace rp
