// The recorded program's own ptrace requests, served by rp
// (record/ptrace_emulation.h): PTRACE_TRACEME, attaching its own children
// (any recorded process with CAP_SYS_PTRACE),
// and the requests on a held tracee (reads, the writes replay can apply at
// the same point, resumes). The stops and waits they act on are in
// ptrace_emulation.cc.
#include <elf.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>

#include "ptrace_recorder.h"
#include "syscall_table.h"
#include "tracee.h"
#include "tracee_mem.h"

namespace rp {

namespace {

// Where replay holds the tracee exactly as rp holds it now, so writes to its
// memory and registers land at the same point of its execution.
bool exact_position(const EmuTracee& et) {
  return et.stop == et.held && (et.held == EmuStop::kSyscallEntry ||
                                et.held == EmuStop::kSyscallExit ||
                                (et.held == EmuStop::kSignal && (et.at_syscall || et.at_fault)));
}

// Whether thread tid's next instruction is a syscall instruction.
bool at_syscall_insn(pid_t tid) {
  Regs r;
  return r.read(tid) && read_mem(tid, r.ip(), kSyscallInsn.size()) == kSyscallInsn;
}

// Replay must hold the tracee where rp does.
bool may_set_regs(const EmuTracee& et) { return exact_position(et); }

// A held call its tracer may change: not one rp answered (its result is
// decided) or recorded at its entry (an exit), nor one it holds.
bool entry_changeable(bool answered, bool waiting, int64_t nr) {
  const SyscallSpec* s = syscall_spec(nr);
  return !answered && !waiting && !(s && s->policy == RP_POLICY_EXIT);
}

// Calls rp emulates or records at their entry cannot be made at a resume.
bool call_changeable_to(int64_t nr) {
  const SyscallSpec* s = syscall_spec(nr);
  return nr != SYS_ptrace && nr != SYS_wait4 && nr != SYS_waitid &&
         !(s && s->policy == RP_POLICY_EXIT);
}

// PTRACE_GET_SYSCALL_INFO of a tracee held at `stop`, as the kernel fills
// it from the registers it has now (after any SETREGS of its tracer); the
// size of the kernel's whole answer.
size_t syscall_info(pid_t pid, EmuStop stop, const Regs& r, __ptrace_syscall_info* info) {
  *info = {};
#if defined(__x86_64__)
  info->arch = AUDIT_ARCH_X86_64;
#else
  info->arch = AUDIT_ARCH_AARCH64;
#endif
  info->instruction_pointer = r.ip();
  info->stack_pointer = r.sp();
  const size_t head = offsetof(__ptrace_syscall_info, entry);
  if (stop == EmuStop::kSyscallEntry) {
    info->op = PTRACE_SYSCALL_INFO_ENTRY;
    info->entry.nr = static_cast<uint64_t>(kernel_syscall_nr(pid, r));
    for (int i = 0; i < 6; i++) info->entry.args[i] = r.arg(i);
    return head + sizeof info->entry;
  }
  if (stop == EmuStop::kSyscallExit) {
    info->op = PTRACE_SYSCALL_INFO_EXIT;
    info->exit.rval = r.ret();
    info->exit.is_error = r.ret() < 0 && r.ret() >= -4095;
    return head + sizeof info->exit.rval + sizeof info->exit.is_error;
  }
  info->op = PTRACE_SYSCALL_INFO_NONE;  // signal, event and group stops
  return head;
}
}  // namespace

// PTRACE_SETREGS or SETREGSET's general registers `b` into the held tracee.
int64_t PtraceRecorder::set_tracee_regs(pid_t pid, Task& tracee, EmuTracee& et,
                                        const std::string& b) {
  if (b.size() != sizeof(RawRegs)) return -EFAULT;
  Regs r, was;
  std::memcpy(&r.raw, b.data(), sizeof r.raw);
  if (et.held == EmuStop::kSyscallEntry &&
      !entry_changeable(tracee.forced_ret.has_value(), tracee.wait_held, tracee.nr))
    return -EIO;
  if (!was.read(pid) || !r.write(pid)) return -EIO;
  if (et.held == EmuStop::kSyscallEntry && !call_changeable_to(kernel_syscall_nr(pid, r))) {
    was.write(pid);
    refuse_note("change of a held call into ptrace, a wait or an exit");
    return -EIO;
  }
  if (et.held == EmuStop::kSyscallExit) tracee.exit_regs = r;  // a signal now is still at_syscall
  return 0;
}

namespace {

// Whether thread `tracer` has CAP_SYS_PTRACE in effect where `tracee` is
// (the same user namespace; across namespaces rp does not tell).
bool may_trace_any(pid_t tracer, pid_t tracee) {
  auto caps = proc_status_field(tracer, "CapEff", 16);
  if (!caps || !(*caps >> CAP_SYS_PTRACE & 1)) return false;
  const std::string ns = proc_link(tracer, "ns/user");
  return !ns.empty() && ns == proc_link(tracee, "ns/user");
}

#if defined(__x86_64__)
// DR7's local and global enable bits of DR0..DR3.
constexpr uint64_t kDr7EnableBits = 0xff;

// Which u_debugreg word of struct user `addr` names, if one.
std::optional<unsigned> debugreg_index(uint64_t addr) {
  constexpr uint64_t first = offsetof(struct user, u_debugreg);
  if (addr < first || addr >= first + 8 * sizeof(uint64_t) || (addr - first) % 8) return {};
  return static_cast<unsigned>((addr - first) / 8);
}
#endif

// PTRACE_GETREGSET of a set other than the general registers (type, into
// the caller's iovec at `iov_at`), read from the held tracee: its bytes and
// the length the kernel used, written out as the kernel would.
template <typename WriteOut>
int64_t get_other_regset(Tracee& caller, pid_t pid, uint64_t type, uint64_t iov_at,
                         WriteOut write_out) {
  constexpr size_t kMaxRegset = 1 << 16;  // an XSAVE area is at most a few KiB
  iovec v{};
  std::string iov = caller.read(iov_at, sizeof v);
  if (iov.size() != sizeof v) return -EFAULT;
  std::memcpy(&v, iov.data(), sizeof v);
  std::string buf(std::min(v.iov_len, kMaxRegset), '\0');
  iovec mine{buf.data(), buf.size()};
  if (ptrace(PTRACE_GETREGSET, pid, type, &mine) != 0) return -errno;
  const uint64_t base = reinterpret_cast<uint64_t>(v.iov_base);
  if (!write_out(base, buf.substr(0, mine.iov_len))) return -EFAULT;
  v.iov_len = mine.iov_len;
  return write_out(iov_at, bytes_of(&v, sizeof v)) ? 0 : -EFAULT;
}

}  // namespace

void PtraceRecorder::emulate_ptrace(Task& t) {
  long req = static_cast<long>(t.args[0]);
  pid_t pid = static_cast<pid_t>(t.args[1]);
  int64_t ret = -EPERM;
  if (req == PTRACE_TRACEME) {
    // Its parent must be recorded too (the recording's first process has rp).
    pid_t parent = parent_of(t.tgid);
    bool recorded = false;
    for (const auto& [tid, other] : tasks_) recorded = recorded || other.tgid == parent;
    if (!recorded) {
      refuse_note("PTRACE_TRACEME with a parent outside the recording");
    } else if (!emu_.count(t.tid)) {
      emu_[t.tid].tracer_tgid = parent;
      emu_[t.tid].tracers_child = t.tid == t.tgid;
      kick_tracer(parent, t.tid);
      ret = 0;
    }
  } else if (req == PTRACE_ATTACH || req == PTRACE_SEIZE) {
    // A recorded thread of another process: the tracer's child, or any with
    // CAP_SYS_PTRACE, as the kernel allows (a non-child's stops and end
    // reach the tracer through its emulated wait: report_exit). Without it
    // the kernel's answer depends on uids, dumpability, YAMA's scope and the
    // target's PR_SET_PTRACER, which rp does not follow: refused, with a note.
    bool other = tasks_.count(pid) && tasks_[pid].tgid != t.tgid;
    bool child = other && parent_of(tasks_[pid].tgid) == t.tgid;
    bool allowed = child || (other && may_trace_any(t.tid, pid));
    if (allowed && !emu_.count(pid) && (req == PTRACE_ATTACH || t.args[2] == 0)) {
      long options = req == PTRACE_SEIZE ? static_cast<long>(t.args[3]) : 0;
      if (options & ~kEmuOptions) {
        refuse_note("PTRACE_SEIZE options " + std::to_string(options));
      } else {
        EmuTracee& et = emu_[pid];
        et.tracer_tgid = t.tgid;
        et.tracers_child = child && pid == tasks_[pid].tgid;
        et.seized = req == PTRACE_SEIZE;
        et.options = options;
        // A child whose first stop (its own SIGSTOP, rp's) has not come yet
        // would merge a second SIGSTOP into it: that stop is the attach's.
        if (req == PTRACE_ATTACH && tasks_[pid].initial_stop_pending)
          et.first_stop_pending = true;  // held and reported: hold_new_tracee
        else if (req == PTRACE_ATTACH)
          syscall(SYS_tgkill, tasks_[pid].tgid, pid, SIGSTOP);
        kick_tracer(t.tgid, t.tid);
        // Seized in a group-stop: the kernel makes it trap again, and its
        // tracer sees that stop at once. (Attached, it takes the SIGSTOP
        // sent, which wakes it from rp's hold: continue_stopped.) One that
        // stops later is reported then (hold_stopped).
        if (req == PTRACE_SEIZE) report_group_stop(tasks_[pid]);
        ret = 0;
      }
    } else if (!allowed) {
      refuse_note("ptrace attach to a process that is not its child, without CAP_SYS_PTRACE");
    }
  } else {
    auto it = emu_.find(pid);
    ret = it == emu_.end() || it->second.tracer_tgid != t.tgid || !tasks_.count(pid)
              ? -ESRCH
              : ptrace_request(t, pid, it->second);
  }
  skip_call(t, ret);
}

// A request on an emulated tracee `pid` of t's process; returns its result.
int64_t PtraceRecorder::ptrace_request(Task& t, pid_t pid, EmuTracee& et) {
  long req = static_cast<long>(t.args[0]);
  uint64_t addr = t.args[2], data = t.args[3];
  Task& tracee = tasks_[pid];
  auto write_out = [&](uint64_t at, const std::string& bytes) {  // a write of the kernel's
    if (!t.mem.write(at, bytes)) return false;
    t.forced_mem.push_back(MemRecord{at, bytes, false});
    return true;
  };
  auto out = [&](const std::string& bytes) -> int64_t {  // the kernel's write to *data
    return write_out(data, bytes) ? 0 : -EFAULT;
  };
  if (req == PTRACE_KILL) {
    // Since Linux 5.19 it sends SIGKILL, stopped or not; the end is recorded
    // as the tracee's, and replay sends the same signal at that end.
    syscall(SYS_tgkill, tracee.tgid, pid, SIGKILL);
    return 0;
  }
  if (req == PTRACE_INTERRUPT) {
    if (!et.seized) return -EIO;
    if (et.stop != EmuStop::kNone || et.interrupt_pending) return 0;
    if (tracee.run != Run::kStopped && !tracee.wait_held) {
      et.interrupt_pending = true;  // reported where the kick stops it
      kick(tracee);
      return 0;
    }
    // Held by rp, in a group-stop or its own wait: reported stopped now.
    et.group_stopped = stopping_.count(tracee.tgid) != 0;
    report_stop(pid, et, EmuStop::kVirtual);
    // Events-only: once rp lets it go (a SIGCONT, its wait answered),
    // nothing else would stop it before its next syscall's end.
    if (kernel_) kick(tracee);
    return 0;
  }
  if (et.stop == EmuStop::kNone) return -ESRCH;  // not stopped
  switch (req) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA: {
      std::string word = tracee.mem.read(addr, sizeof(long));
      return word.size() == sizeof(long) ? out(word) : -EIO;
    }
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA:
      if (!exact_position(et)) break;
      return tracee.mem.write(addr, bytes_of(&data, sizeof(long))) ? 0 : -EIO;
#if defined(__x86_64__)
    case PTRACE_GETREGS: {
      if (et.held == EmuStop::kNone) break;
      Regs r;
      if (!r.read(pid)) return -ESRCH;
      return out(bytes_of(&r.raw, sizeof r.raw));
    }
    case PTRACE_SETREGS:
      if (!may_set_regs(et)) break;
      return set_tracee_regs(pid, tracee, et, t.mem.read(data, sizeof(RawRegs)));
    case PTRACE_PEEKUSER: {
      // A word of struct user, as the kernel reads it: the registers GETREGS
      // gives, the debug registers (those its tracer wrote: as it wrote
      // them), 0 elsewhere, EIO past the end or misaligned. rp holds the
      // thread in a ptrace stop of its own: it asks the kernel.
      if (et.held == EmuStop::kNone) break;
      if (auto i = debugreg_index(addr); i && (et.debugreg_set >> *i & 1))
        return out(bytes_of(&et.debugreg[*i], sizeof(uint64_t)));
      errno = 0;
      long word = ptrace(PTRACE_PEEKUSER, pid, addr, nullptr);
      if (errno) return -errno;
      return out(bytes_of(&word, sizeof word));
    }
    case PTRACE_POKEUSER: {
      // The debug registers only, and only while they enable no breakpoint
      // or watchpoint (which rp would have to stop the thread at): kept for
      // PEEKUSER. DR4 and DR5 do not exist (EIO, as the kernel says).
      auto i = debugreg_index(addr);
      if (!i) break;
      if (*i == 4 || *i == 5) return -EIO;
      if ((*i == 7 ? data : et.debugreg[7]) & kDr7EnableBits) break;
      et.debugreg[*i] = data;
      et.debugreg_set |= 1u << *i;
      return 0;
    }
    case PTRACE_GETFPREGS: {
      if (et.held == EmuStop::kNone) break;
      user_fpregs_struct fp;
      if (ptrace(PTRACE_GETFPREGS, pid, nullptr, &fp) != 0) return -errno;
      return out(bytes_of(&fp, sizeof fp));
    }
#endif
    case PTRACE_GETREGSET:
      if (addr != NT_PRSTATUS) {
        if (et.held == EmuStop::kNone) break;
        return get_other_regset(t.mem, pid, addr, data, write_out);
      }
      [[fallthrough]];
    case PTRACE_SETREGSET: {
      // The general registers (NT_PRSTATUS), as GETREGS and SETREGS; any
      // other set is read (the FP and vector state a debugger shows), not
      // written.
      if (addr != NT_PRSTATUS) break;
      iovec v{};
      std::string iov = t.mem.read(data, sizeof v);
      if (iov.size() != sizeof v) return -EFAULT;
      std::memcpy(&v, iov.data(), sizeof v);
      size_t n = std::min(v.iov_len, sizeof(RawRegs));
      uint64_t base = reinterpret_cast<uint64_t>(v.iov_base);
      if (req == PTRACE_SETREGSET) {
        // Only the whole set: a part would need the rest read back.
        if (!may_set_regs(et) || n != sizeof(RawRegs)) break;
        if (int64_t r = set_tracee_regs(pid, tracee, et, t.mem.read(base, n))) return r;
      } else {
        if (et.held == EmuStop::kNone) break;
        Regs r;
        if (!r.read(pid)) return -ESRCH;
        if (!write_out(base, bytes_of(&r.raw, n))) return -EFAULT;
      }
      v.iov_len = n;  // the kernel writes back the length it used
      return write_out(data, bytes_of(&v, sizeof v)) ? 0 : -EFAULT;
    }
    case PTRACE_GET_SYSCALL_INFO: {
      if (et.held == EmuStop::kNone) break;
      Regs r;
      if (!r.read(pid)) return -ESRCH;
      __ptrace_syscall_info info;
      size_t whole = syscall_info(pid, et.stop, r, &info);
      size_t n = std::min<size_t>(addr, whole);  // the kernel writes at most `addr` bytes
      if (n && !write_out(data, bytes_of(&info, n))) return -EFAULT;
      return static_cast<int64_t>(whole);
    }
    case PTRACE_GETSIGINFO: {
      bool group_stop_like = (et.stop == EmuStop::kNewChild && et.seized) || et.stop == EmuStop::kGroupStop;
      if (et.stop == EmuStop::kVirtual || group_stop_like) return -EINVAL;
      siginfo_t si = et.si;
      if (et.stop == EmuStop::kNewChild) {  // the kernel's SIGSTOP, no sender
        std::memset(&si, 0, sizeof si);
        si.si_signo = SIGSTOP;
      } else if (et.stop != EmuStop::kSignal) {  // a syscall or event stop
        std::memset(&si, 0, sizeof si);
        si.si_signo = SIGTRAP;
        si.si_code = (et.status >> 8) & 0xffff;  // SIGTRAP, | 0x80, | the event << 8
        si.si_pid = pid;
      }
      return out(bytes_of(&si, sizeof si));
    }
    case PTRACE_GETEVENTMSG: {
      unsigned long msg = et.stop == EmuStop::kEvent ? et.event_msg : 0;
      return out(bytes_of(&msg, sizeof msg));
    }
    case PTRACE_SETOPTIONS:
      if (static_cast<long>(data) & ~kEmuOptions) break;
      et.options = static_cast<long>(data);
      return 0;
    case PTRACE_SINGLESTEP:
    case PTRACE_SYSEMU_SINGLESTEP: {
      // From a signal stop or a syscall's exit only: rp steps it for real,
      // and the step's trap is a fault stop of its own (recorded: kSigHeld).
      if (et.held != EmuStop::kSignal && et.held != EmuStop::kSyscallExit) break;
      if (data != 0) break;  // a signal given with the step is not emulated
      const bool sysemu = req == PTRACE_SYSEMU_SINGLESTEP;
      // At a syscall instruction a step would run the call unseen by rp:
      // SYSEMU's stops at its entry (rp's own), a plain step is refused.
      const bool at_call = at_syscall_insn(pid);
      if (at_call && !sysemu) break;
      et.syscall_stops = sysemu;
      et.sysemu = sysemu;
      tracee.step_next = !at_call;
      resume_tracee(pid, et, 0, false);
      return 0;
    }
    case PTRACE_LISTEN:
      // Seized, in a group-stop (strace -f's start): it stays stopped, its
      // tracer's requests fail with ESRCH and its wait blocks until a SIGCONT
      // ends the group-stop, which is a PTRACE_EVENT_STOP carrying SIGTRAP
      // (continue_stopped). Its other PTRACE_EVENT_STOPs are not emulated here.
      // Also at the PTRACE_INTERRUPT stop reported for it while its process
      // stops (strace seizes, interrupts, then sends SIGCONT), if rp had not
      // yet taken the group-stop then (report_group_stop then only holds it).
      if (!et.seized || (et.held != EmuStop::kGroupStop &&
                         !(et.stop == EmuStop::kVirtual && et.group_stopped)))
        break;
      et.listening = true;
      et.stop = EmuStop::kNone;
      if (et.continued) report_group_stop_end(tracee, et);  // SIGCONT came first
      return 0;
    case PTRACE_CONT:
    case PTRACE_SYSCALL:
    case PTRACE_SYSEMU:
    case PTRACE_DETACH: {
      int sig = static_cast<int>(data);
      if (sig < 0 || sig >= NSIG) return -EIO;
      // A signal injected at a syscall stop is not emulated.
      if (sig && et.held != EmuStop::kSignal && et.stop != EmuStop::kSignal) break;
      et.syscall_stops = req == PTRACE_SYSCALL || req == PTRACE_SYSEMU;
      et.sysemu = req == PTRACE_SYSEMU;
      resume_tracee(pid, et, sig, req == PTRACE_DETACH);
      return 0;
    }
    default: break;
  }
  refuse_note("ptrace request " + std::to_string(req) + " here");
  return -EIO;
}

}  // namespace rp
