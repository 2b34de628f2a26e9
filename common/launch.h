// Starting a program under ptrace the same way for record and replay: ASLR
// off, the recorded stack limit (it decides where mmap places things), the
// recorded argv/envp and the exact exe path string (it lands on the stack).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "exec_files.h"

namespace rp {

// A file mapping that extends past the end of its file raises SIGBUS there.
// Replay has no files: it maps the part the recording could read at the end
// of this memfd (kPastEofFileSize bytes, all holes), so the pages after it
// are past the memfd's end and raise SIGBUS too. Every fd call is emulated in
// replay, so the program never sees this descriptor.
constexpr int kPastEofFd = 1000;
constexpr unsigned long long kPastEofFileSize = 1ULL << 47;

struct LaunchSpec {
  std::string exe_path;  // given to execve as is
  std::vector<std::string> argv, envp;
  std::string cwd;                 // empty: stay
  long long stack_limit_cur = -1;  // RLIMIT_STACK soft limit, -1: leave
  // A seccomp filter makes the ENOSYS-policy syscalls (syscalls.def) fail
  // with ENOSYS without running: kernel capture backends cannot refuse them
  // at entry the way ptrace does.
  bool refuse_enosys = false;
  // Record, ptrace backend: a filter that stops calls into x86_64's vsyscall
  // page (ptrace_backend_filter, common/sandbox.h; the refusing one does too).
  bool trap_vsyscalls = false;
  // Replay: run in a private root (tmpfs, mounted on root_dir in a new mount
  // namespace) holding only these files — what the kernel opens at execve.
  std::vector<ExecFile> root_files;
  std::string root_dir;  // an empty directory; required with root_files
  // Replay: confine the program (common/sandbox.h, docs/security.md).
  bool sandbox = false;
  // Replay: give the program a sparse empty-tail file at kPastEofFd, which
  // replay maps where the recording mapped a file past its end.
  bool past_eof_file = false;
  // Record: the program runs in a process group of its own, so that its
  // kill(0, sig), killpg and job-control stops of its group do not hit rp.
  // It does not lead it (a short-lived helper did), as when a script starts
  // a program: its own setsid() then succeeds, as it would there.
  bool own_process_group = false;
  // rdtsc/rdtscp fault (PR_SET_TSC) so that rp sees them. Off only where rp
  // patches them instead and was asked to act as if the machine could not
  // trap them (RP_RDTSC=patch, record/record.cc).
  bool trap_rdtsc = true;
};

// Finds a program like execvp would; an absolute path is returned as is, a
// path with a slash is made absolute. Throws rp::Error (exit 127 semantics).
std::string resolve_program(const std::string& arg0);

// Forks, execs under PTRACE_TRACEME with `options` set, and returns the pid
// stopped at its PTRACE_EVENT_EXEC. Throws rp::Error if the exec fails.
pid_t launch_traced(const LaunchSpec& spec, long options);

class NotFound : public std::exception {
 public:
  explicit NotFound(std::string m) : msg_(std::move(m)) {}
  const char* what() const noexcept override { return msg_.c_str(); }

 private:
  std::string msg_;
};

}  // namespace rp
