// One traced thread as record and replay both see it: its tid and its
// memory. The memory is read with process_vm_readv and written with
// process_vm_writev; what those cannot reach (pages without PROT_READ or
// PROT_WRITE) goes through /proc/<tid>/mem, which is opened once per task
// rather than per access.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "buffers.h"
#include "unique_fd.h"

namespace rp {

class Tracee {
 public:
  Tracee() = default;
  explicit Tracee(pid_t tid) : tid_(tid) {}

  pid_t tid() const { return tid_; }

  // Up to len bytes at addr; shorter if the range is only partly readable
  // (empty if not at all).
  std::string read(uint64_t addr, uint64_t len);
  std::optional<uint64_t> read_u64(uint64_t addr);
  std::optional<uint32_t> read_u32(uint64_t addr);
  // A NUL-terminated string of at most max bytes (without the NUL).
  std::string read_cstring(uint64_t addr, size_t max = 4096);
  // Writes like a debugger (read-only pages too). False if any byte could
  // not be written.
  bool write(uint64_t addr, const std::string& bytes);
  // A 4- or 8-byte word, as a WordReader reads it.
  std::optional<uint64_t> read_word(uint64_t addr, int size);
  // The memory as the buffer rules (buffers.h) read it; valid while *this is.
  WordReader word_reader();
  // The bytes a call sends: its input buffers (buffers.h) in order, as far
  // as they are readable.
  std::string input_bytes(const SyscallSpec& s, const uint64_t args[6]);

  // The descriptor stays bound to the address space it was opened on: after
  // an exec it must be opened again, and after the task's end it is useless.
  void address_space_changed() { mem_.reset(); }

 private:
  int mem_fd();

  pid_t tid_ = 0;
  unique_fd mem_;
};

// Field `name` of a /proc/TID/status text ("Tgid", "SigCgt": the line
// "Name:<blanks>VALUE"), read as a number in `base` (10 for ids, 16 for the
// signal masks). nullopt if there is no such line or its value is not one
// number. Split from the read below for its unit test.
std::optional<uint64_t> status_field(std::string_view status, std::string_view name, int base);
// A small /proc or /sys file's text; empty if it cannot be opened.
std::string read_proc_text(const char* path);
// /proc/TID/status as it is now; empty if the task is gone. The one reader of
// that file for every caller (tgid, parent, signal masks): read it once for
// several fields of one moment.
std::string proc_status(pid_t tid);
// One field of it (status_field above); nullopt if the task is gone.
std::optional<uint64_t> proc_status_field(pid_t tid, std::string_view name, int base);
// Where the link /proc/PID/NAME points (exe, cwd, fd/N, ns/user...); empty
// if it cannot be read.
std::string proc_link(pid_t pid, const std::string& name);
// The process's RLIMIT_STACK soft limit in bytes, from /proc/PID/limits
// (readable without privilege): -1 when unlimited or unknown.
long long stack_soft_limit(pid_t pid);
// The access mode (O_RDONLY, O_WRONLY or O_RDWR) of process pid's fd, from
// the octal "flags" of /proc/PID/fdinfo/FD (status_field's format too);
// nullopt if it cannot be read.
std::optional<int> fd_access_mode(pid_t pid, uint64_t fd);
// /proc/PID/fdinfo/FD's text (status_field reads its fields); empty if it
// cannot be read.
std::string fdinfo_text(pid_t pid, uint64_t fd);
// A status text's NSpid: the task's pid in each pid namespace from the
// reader's down to its own (one number outside any other); empty if none.
std::vector<pid_t> namespace_pids(std::string_view status);
// Whether the task is the init of a pid namespace below the reader's (its
// own number there is 1). The kernel marks it SIGNAL_UNKILLABLE.
bool pid_namespace_init(std::string_view status);

// The scheduler state letter of a thread, as /proc/TID/stat gives it: 'R'
// running or waiting for a CPU, 'S'/'D' asleep, 't' in a ptrace stop, ...;
// '?' if the thread is gone. Split from the read for its unit test.
char stat_state(std::string_view stat);
char proc_task_state(pid_t tid);

// The parent of process (or thread) `pid`, as /proc/PID/status says; 0 when
// it is gone.
pid_t parent_of(pid_t pid);

}  // namespace rp
