// Making a traced thread run one syscall rp chooses (attach, detach and
// restore need mmap, prctl, rt_sigaction... in the tracee's own process).
// The thread must be in a ptrace stop; it runs the call at the address of a
// syscall instruction in its memory, then gets its registers back.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "arch.h"

namespace rp {

// The registers a thread stopped with `regs` resumes with if no signal
// intervenes: a syscall the stop interrupted (it returned -ERESTART...) is
// restarted, i.e. the instruction pointer is back on the syscall instruction.
// Writing these (orig_rax -1) makes the thread restart it without rp's help.
Regs restart_normalized(const Regs& regs);
// The same for a thread at a syscall-entry stop: back on its syscall
// instruction, about to make the call again.
Regs entry_rewound(const Regs& regs);

// The address of the syscall instruction inside the vDSO stubs rp writes
// (vdso.h) in process tid, or 0 if there is none.
uint64_t vdso_syscall_insn(pid_t tid);

class SyscallInjector {
 public:
  SyscallInjector(pid_t tid, uint64_t syscall_insn) : tid_(tid), insn_(syscall_insn) {}
  // Runs nr(args) and returns its result (a negative errno on failure of the
  // call); nullopt with *error set if the thread could not be driven. The
  // registers are put back as they were before the first call (`keep` of
  // the restore below). Signals that arrive meanwhile are sent again after.
  std::optional<int64_t> call(int64_t nr, std::initializer_list<uint64_t> args,
                              std::string* error);
  // Puts the registers saved before the first call back (or `regs`), and
  // sends again the signals that arrived while injecting.
  bool restore(std::string* error, const Regs* regs = nullptr);

 private:
  bool wait_syscall_stop(bool entry, std::string* error);
  pid_t tid_;
  uint64_t insn_;
  std::optional<Regs> saved_;
  std::vector<int> deferred_signals_;
};

}  // namespace rp
