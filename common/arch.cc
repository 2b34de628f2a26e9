#include "arch.h"

#include <elf.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstring>

namespace rp {

#if defined(__x86_64__)

uint64_t Regs::ip() const { return raw.rip; }
void Regs::set_ip(uint64_t v) { raw.rip = v; }
uint64_t Regs::sp() const { return raw.rsp; }
int64_t Regs::syscall_nr() const { return static_cast<int64_t>(raw.orig_rax); }
int64_t Regs::ret() const { return static_cast<int64_t>(raw.rax); }
void Regs::set_ret(int64_t v) { raw.rax = static_cast<uint64_t>(v); }

uint64_t Regs::arg(int i) const {
  switch (i) {
    case 0: return raw.rdi;
    case 1: return raw.rsi;
    case 2: return raw.rdx;
    case 3: return raw.r10;
    case 4: return raw.r8;
    case 5: return raw.r9;
  }
  return 0;
}

void Regs::set_arg(int i, uint64_t v) {
  switch (i) {
    case 0: raw.rdi = v; break;
    case 1: raw.rsi = v; break;
    case 2: raw.rdx = v; break;
    case 3: raw.r10 = v; break;
    case 4: raw.r8 = v; break;
    case 5: raw.r9 = v; break;
  }
}

bool Regs::set_syscall_nr(pid_t tid, Regs& regs, int64_t nr) {
  regs.raw.orig_rax = static_cast<uint64_t>(nr);
  return regs.write(tid);
}

int64_t kernel_syscall_nr(pid_t, const Regs& regs) { return regs.syscall_nr(); }

bool Regs::entering_syscall() const {
  return static_cast<int64_t>(raw.orig_rax) >= 0 && static_cast<int64_t>(raw.rax) == -ENOSYS;
}

Regs Regs::as_at_syscall_stop(const Regs& stop) const {
  Regs r = *this;
  r.raw.orig_rax = stop.raw.orig_rax;
  return r;
}

bool Regs::same_user_state(const Regs& o) const {
  RawRegs a = raw, b = o.raw;
  a.orig_rax = b.orig_rax = 0;
  constexpr unsigned long long kTrapResume = 0x10100;  // TF | RF
  a.eflags &= ~kTrapResume;
  b.eflags &= ~kTrapResume;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::string Regs::describe() const {
  char b[256];
  snprintf(b, sizeof b, "rip=%#llx rsp=%#llx rax=%#llx rdi=%#llx rsi=%#llx rdx=%#llx",
           raw.rip, raw.rsp, raw.rax, raw.rdi, raw.rsi, raw.rdx);
  return b;
}

#elif defined(__aarch64__)

uint64_t Regs::ip() const { return raw.pc; }
void Regs::set_ip(uint64_t v) { raw.pc = v; }
uint64_t Regs::sp() const { return raw.sp; }
int64_t Regs::syscall_nr() const { return static_cast<int64_t>(raw.regs[8]); }
int64_t Regs::ret() const { return static_cast<int64_t>(raw.regs[0]); }
void Regs::set_ret(int64_t v) { raw.regs[0] = static_cast<uint64_t>(v); }
// At syscall exit regs[0] is the result, not arg0: callers use the entry copy.
uint64_t Regs::arg(int i) const { return i >= 0 && i < 6 ? raw.regs[i] : 0; }
void Regs::set_arg(int i, uint64_t v) {
  if (i >= 0 && i < 6) raw.regs[i] = v;
}

bool Regs::set_syscall_nr(pid_t tid, Regs& regs, int64_t nr) {
  int n = static_cast<int>(nr);
  iovec iov{&n, sizeof n};
  if (ptrace(PTRACE_SETREGSET, tid, NT_ARM_SYSTEM_CALL, &iov) != 0) return false;
  regs.raw.regs[8] = static_cast<uint64_t>(nr);
  return true;
}

int64_t kernel_syscall_nr(pid_t tid, const Regs&) {
  int nr = -1;
  iovec iov{&nr, sizeof nr};
  if (ptrace(PTRACE_GETREGSET, tid, NT_ARM_SYSTEM_CALL, &iov) != 0) return -1;
  return nr;
}

bool Regs::entering_syscall() const { return false; }

Regs Regs::as_at_syscall_stop(const Regs& stop) const {
  Regs r = *this;
  r.raw.regs[7] = stop.raw.regs[7];
  return r;
}

bool Regs::same_user_state(const Regs& o) const {
  return std::memcmp(raw.regs, o.raw.regs, sizeof raw.regs) == 0 && raw.sp == o.raw.sp &&
         raw.pc == o.raw.pc && raw.pstate == o.raw.pstate;
}

std::string Regs::describe() const {
  char b[256];
  snprintf(b, sizeof b, "pc=%#llx sp=%#llx x0=%#llx x1=%#llx x2=%#llx x8=%#llx",
           raw.pc, raw.sp, raw.regs[0], raw.regs[1], raw.regs[2], raw.regs[8]);
  return b;
}

#endif

bool Regs::read(pid_t tid) {
  iovec iov{&raw, sizeof raw};
  return ptrace(PTRACE_GETREGSET, tid, NT_PRSTATUS, &iov) == 0;
}

bool Regs::write(pid_t tid) const {
  iovec iov{const_cast<RawRegs*>(&raw), sizeof raw};
  return ptrace(PTRACE_SETREGSET, tid, NT_PRSTATUS, &iov) == 0;
}

bool Regs::operator==(const Regs& o) const { return std::memcmp(&raw, &o.raw, sizeof raw) == 0; }

}  // namespace rp
