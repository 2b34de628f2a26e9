// Replay of the program's own ptrace (record/ptrace_emulation.h): its
// requests and waits are emulated like any syscall (results and outputs from
// the trace); the requests that changed the tracee are applied to the
// replayed tracee here, at the same point of both processes' executions:
// the recorder allowed them only where replay holds the tracee exactly where
// it was held then (a syscall stop, or a signal stop right after a syscall).
#include <elf.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <cstring>

#include "replayer.h"

namespace rp {

bool emulated_ptrace_changes_tracee(const Event& e) {
  if (e.nr != SYS_ptrace || e.ret != 0) return false;
  long req = static_cast<long>(e.args[0]);
#if defined(__x86_64__)
  if (req == PTRACE_SETREGS) return true;
#endif
  if (req == PTRACE_SETREGSET) return e.args[2] == NT_PRSTATUS;
  return req == PTRACE_POKETEXT || req == PTRACE_POKEDATA;
}

void Replayer::apply_emulated_ptrace(Task& tracer, const Event& e) {
  if (!emulated_ptrace_changes_tracee(e)) return;
  long req = static_cast<long>(e.args[0]);
  bool pokes = req == PTRACE_POKETEXT || req == PTRACE_POKEDATA;
  auto it = tasks_.find(static_cast<pid_t>(e.args[1]));
  if (it == tasks_.end() || it->second.state == State::kGone)
    diverge(e, "the program's ptrace names thread " + std::to_string(e.args[1]) +
                   ", which does not exist in replay");
  Task& tracee = it->second;
  if (pokes) {
    uint64_t word = e.args[3];
    if (!tracee.mem.write(e.args[2], std::string(reinterpret_cast<const char*>(&word), sizeof word)))
      diverge(e, "cannot write the tracee's memory as the program's PTRACE_POKEDATA did");
    return;
  }
  uint64_t at = e.args[3];  // SETREGS: the registers; SETREGSET: an iovec naming them
  if (req == PTRACE_SETREGSET) {
    iovec v{};
    std::string iov = tracer.mem.read(at, sizeof v);
    if (iov.size() != sizeof v) diverge(e, "cannot read the iovec PTRACE_SETREGSET names");
    std::memcpy(&v, iov.data(), sizeof v);
    at = reinterpret_cast<uint64_t>(v.iov_base);
  }
  std::string b = tracer.mem.read(at, sizeof(RawRegs));
  if (b.size() != sizeof(RawRegs)) diverge(e, "cannot read the registers the program's ptrace sets");
  Regs r;
  std::memcpy(&r.raw, b.data(), sizeof r.raw);
  set_regs(tracee, r);
  tracee.regs = r;
  // At a syscall entry, the call the tracee makes is now the one the new
  // registers name: the recording has that one (the kernel backends' hooks
  // run after the tracer's stop; the ptrace backend reads them again).
  if (tracee.state == State::kAtSyscall) {
    tracee.nr = kernel_syscall_nr(tracee.real, r);
    for (int i = 0; i < 6; i++) tracee.args[i] = r.arg(i);
  }
}

}  // namespace rp
