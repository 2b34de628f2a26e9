// A delivered signal's siginfo, as strace prints it.
#include <signal.h>

#include <cstring>

#include "decode/decode.h"
#include "decode/internal.h"
#include "decode/xlat.h"

namespace rp::decode {
namespace {

#define N(x) Named{static_cast<uint64_t>(x), #x}
constexpr Named generic_codes[] = {N(SI_USER),  N(SI_KERNEL), N(SI_QUEUE),  N(SI_TIMER),
                                   N(SI_MESGQ), N(SI_ASYNCIO), N(SI_SIGIO), N(SI_TKILL)};
constexpr Named chld_codes[] = {N(CLD_EXITED), N(CLD_KILLED), N(CLD_DUMPED),
                                N(CLD_TRAPPED), N(CLD_STOPPED), N(CLD_CONTINUED)};
constexpr Named segv_codes[] = {N(SEGV_MAPERR), N(SEGV_ACCERR), N(SEGV_BNDERR), N(SEGV_PKUERR)};
constexpr Named bus_codes[] = {N(BUS_ADRALN), N(BUS_ADRERR), N(BUS_OBJERR)};
constexpr Named fpe_codes[] = {N(FPE_INTDIV), N(FPE_INTOVF), N(FPE_FLTDIV), N(FPE_FLTOVF),
                               N(FPE_FLTUND), N(FPE_FLTRES), N(FPE_FLTINV), N(FPE_FLTSUB)};
constexpr Named ill_codes[] = {N(ILL_ILLOPC), N(ILL_ILLOPN), N(ILL_ILLADR), N(ILL_ILLTRP),
                               N(ILL_PRVOPC), N(ILL_PRVREG), N(ILL_COPROC), N(ILL_BADSTK)};
#undef N

bool faults(int sig) { return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL; }

std::string code_text(int sig, int code) {
  const char* n = nullptr;
  if (code > 0 && code != SI_KERNEL) {
    Table t = sig == SIGCHLD ? Table(chld_codes)
              : sig == SIGSEGV ? Table(segv_codes)
              : sig == SIGBUS  ? Table(bus_codes)
              : sig == SIGFPE  ? Table(fpe_codes)
              : sig == SIGILL  ? Table(ill_codes)
                               : Table();
    n = enum_name(t, static_cast<uint64_t>(code));
  } else {
    n = enum_name(generic_codes, static_cast<uint64_t>(static_cast<int64_t>(code)));
  }
  return n ? n : std::to_string(code);
}

}  // namespace

std::string siginfo_text(int sig, const uint8_t (&raw)[128]) {
  siginfo_t si;
  std::memcpy(&si, raw, sizeof si);
  si.si_signo = sig;  // the event's signal number is the one rp delivered
  std::string out = "{si_signo=" + signal_name(si.si_signo) +
                    ", si_code=" + code_text(si.si_signo, si.si_code);
  if (faults(si.si_signo) && si.si_code > 0) {
    out += ", si_addr=" + ptr(reinterpret_cast<uint64_t>(si.si_addr));
  } else if (si.si_signo == SIGCHLD && si.si_code > 0) {
    out += ", si_pid=" + std::to_string(si.si_pid) + ", si_uid=" + std::to_string(si.si_uid);
    out += ", si_status=" + (si.si_code == CLD_EXITED ? std::to_string(si.si_status)
                                                       : signal_name(si.si_status));
  } else if (si.si_code == SI_USER || si.si_code == SI_TKILL || si.si_code == SI_QUEUE) {
    out += ", si_pid=" + std::to_string(si.si_pid) + ", si_uid=" + std::to_string(si.si_uid);
  }
  return out + "}";
}

}  // namespace rp::decode
