// The recorded program's own ptrace, emulated (every backend; under a kernel
// backend by its ptrace supervisor): rp is the only real tracer, so a
// program's PTRACE_TRACEME / PTRACE_SEIZE / PTRACE_ATTACH set up a relation
// rp keeps here, its tracee's stops are held by rp and reported through the
// tracer's wait4, and its requests act on the tracee through rp's own ptrace.
// The calls themselves are skipped in the kernel; their results and outputs
// are recorded like any emulated syscall, and replay applies what changed
// the tracee (replay/ptrace_emulation.cc). docs/design.md, "Programs that
// use ptrace".
#pragma once
#include <sys/types.h>

#include <signal.h>
#include <sys/ptrace.h>

#include <cstdint>
#include <string>

namespace rp {

// Where an emulated tracee is held for its tracer.
enum class EmuStop {
  kNone,          // running
  kVirtual,       // PTRACE_INTERRUPT's stop: held at rp's kick, or reported while in a group-stop or a wait
  kSignal,        // signal-delivery stop (the signal not delivered yet)
  kSyscallEntry,  // PTRACE_SYSCALL stops
  kSyscallExit,
  kEvent,         // a PTRACE_EVENT_* stop its tracer asked for (event, event_msg)
  kNewChild,      // a child it made, traced from its start: its first stop
  kExited,        // gone; its tracer, not its parent, has not waited for it yet
  kGroupStop,     // seized while in a group-stop (rp holds it there: hold_stopped)
};

struct EmuTracee {
  pid_t tracer_tgid = 0;   // the tracing process (any of its threads may ask)
  // It leads a child process of its tracer, whose end the kernel reports to
  // the tracer's own wait (report_exit leaves it to the kernel). Known when
  // it is attached: at its end /proc may no longer say (the tracer reaped it).
  bool tracers_child = false;
  bool seized = false;
  long options = 0;        // PTRACE_O_* the tracer set
  bool syscall_stops = false;  // resumed by PTRACE_SYSCALL or PTRACE_SYSEMU
  bool sysemu = false;         // resumed by PTRACE_SYSEMU: its next call is its tracer's to make
  bool entry_emulated = false; // held at the entry of such a call: skipped however resumed
  EmuStop stop = EmuStop::kNone;
  // Held at a rp stop while kVirtual: where, so the tracer's resume can
  // continue from there (kNone: not held).
  EmuStop held = EmuStop::kNone;
  bool reported = false;   // the tracer's wait returned the current stop
  int status = 0;          // the wait status of the current stop
  siginfo_t si{};          // signal stops: the pending signal's siginfo
  bool first_stop_pending = false;  // auto-attached: its first stop is its tracer's
  bool group_stopped = false;  // kVirtual: its process is in a group-stop (SIGSTOP reported)
  // PTRACE_INTERRUPT of a thread rp does not hold: as the kernel's wait
  // returns only once the thread has stopped, its stop is reported when
  // rp's kick has stopped it (take_kick), or at a stop of its own that comes
  // first. A call it is in ends first (one it is blocked in is interrupted
  // and made again later). Reported at once, the thread still ran: a read
  // it was blocked in could take what its tracer wrote after its wait, and
  // the tracer saw no entry of it (conformance ptrace_interrupt_running).
  bool interrupt_pending = false;
  // PTRACE_LISTEN at its group-stop: still held there, no stop to report,
  // until a SIGCONT ends the group-stop (continue_stopped reports that).
  bool listening = false;
  // Held at its group-stop (kGroupStop) when a SIGCONT ended that: it stays
  // held for its tracer, as the kernel keeps a tracee in its trap; a LISTEN
  // then reports the end at once.
  bool continued = false;
  int event = 0;                // kEvent: PTRACE_EVENT_EXIT, _FORK, _VFORK, _CLONE, _EXEC, _VFORK_DONE
  unsigned long event_msg = 0;  // its PTRACE_GETEVENTMSG: the exit status, new pid, former tid
  bool at_syscall = false; // signal stops: right after the thread's previous syscall
  // Signal stops: at a fault of its own in user code, recorded there
  // (kSigHeld), so replay holds it at the very same instruction.
  bool at_fault = false;
  // The stop's SIGCHLD to the tracer waits for the tracer's wait that rp
  // interrupted for it (the kernel's wait returns before the signal).
  bool sigchld_deferred = false;
  // The debug registers its tracer wrote (POKEUSER), bit i of debugreg_set
  // for u_debugreg[i]: kept by rp, never written into the thread, so only
  // values that enable no breakpoint are taken (a debugger writes DR7 = 0 to
  // each new thread: gdb).
  uint64_t debugreg[8] = {};
  unsigned debugreg_set = 0;
};

// The n bytes at p, as the kernel copies them out to the caller.
inline std::string bytes_of(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

// PTRACE_O_* options the emulation implements (others are refused).
constexpr long kEmuOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT |
                             PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                             PTRACE_O_TRACEEXEC | PTRACE_O_TRACEVFORKDONE;
// The PTRACE_O_* option that asks for a PTRACE_EVENT_* stop.
constexpr long event_option(int event) { return event > 0 && event < 8 ? 1L << event : 0; }
// The options under which a new child of a tracee is traced too.
constexpr long kEmuChildOptions = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;

}  // namespace rp
