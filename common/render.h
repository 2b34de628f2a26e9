// strace-like text for events: used by `rp dump` and divergence reports.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "arch.h"
#include "trace.h"

namespace rp {

std::string render_call(const Event& e, bool with_ret = true);  // "openat(AT_FDCWD, "/x", 0) = 3"
std::string render_event(const Event& e);   // "seq tid " + call, signals, exits
// The same without "seq tid "; `arch` (the trace's meta "arch") reads the
// registers of preempt events.
std::string render_event_text(const Event& e, std::string_view arch = kArchName);
// After a call's text: " <made by its tracer (PTRACE_SYSEMU)>" for a call
// its tracer made in its place (kEmulatedByTracer), " <made by rp: ...>"
// for rp's own (kMadeByRp), else "".
std::string call_maker_note(const Event& e);
std::string render_return(int64_t ret);     // "3", "-1 ENOENT (No such file or directory)"
std::string hex(uint64_t v);  // "0x1f", "0"
std::string render_bytes(const std::string& b, size_t max);  // "3f a2 ..." hex preview
std::string render_wait_status(int64_t status);             // "exited with 0", "killed by SIGSEGV"
// A wait status as a shell reports it: the exit code, or 128+N for signal N.
int exit_code_of(int status);
std::string render_signal(int sig);                         // "SIGUSR1", realtime ones too
// Where a preempt event's thread was switched out: the instruction and stack
// pointers in its recorded registers (SignalExtra.regs, the raw NT_PRSTATUS set
// of the recording machine, laid out by `arch`). Empty when the record is too
// short to hold them or the architecture is not one rp knows.
struct SwitchPoint {
  uint64_t ip = 0, sp = 0;
  // Preempted after its syscall instruction, before the call started
  // (Regs::entering_syscall; x86_64 only, arm64's registers do not tell).
  bool entering_syscall = false;
};
std::optional<SwitchPoint> switch_point(const Event& e, std::string_view arch);
// The same two registers in a raw NT_PRSTATUS set of `arch` (a snapshot thread's).
std::optional<SwitchPoint> regs_point(std::string_view raw, std::string_view arch);
std::string quote(const std::string& s, size_t max = 64);   // C-escaped, quoted

}  // namespace rp
