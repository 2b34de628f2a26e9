// A syscall event decoded the way strace prints it: name, one text per
// argument, the result. Used by `rp dump` (text and --json), `rp timeline`
// and divergence reports (through render.h).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "trace.h"

namespace rp::decode {

// What the trace's metadata says about the traced command's own execve,
// which started before tracing (its arguments are not in the event).
struct FirstExec {
  std::string path;
  std::vector<std::string> argv;
  size_t env_vars = 0;
};

struct Options {
  size_t string_limit = 32;  // strace -s: longest data string shown
  const FirstExec* first_exec = nullptr;  // set for that first execve only
};

struct Call {
  std::string name;
  std::vector<std::string> args;
  std::string ret;                // "3", "-1 ENOENT (No such file or directory)", "?"
  std::vector<bool> mem_shown;    // per e.mem: printed by a decoded argument
  bool known = true;              // the syscall is in syscalls.def
};

Call decode_call(const Event& e, const Options& o = {});
// "name(a, b) = r" from a decoded call.
std::string call_text(const Call& c, bool with_ret = true);
// The -e trace= classes (decode/args.h TraceClass bits) of a syscall number.
uint16_t classes_of(int64_t nr);

// A C string literal as strace writes one: "a\tb\0\377"; `limit` bytes at
// most, then "..." after the closing quote. Hex escapes (\x..) when hex.
std::string quote(const std::string& s, size_t limit, bool hex = false);
// strace -e read=/write= style: offset, 16 bytes in hex, the same as ASCII.
std::string hexdump(const std::string& bytes);

}  // namespace rp::decode

namespace rp::decode {
// "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=12, si_uid=0, si_status=0}"
// from the kernel's 128-byte siginfo.
std::string siginfo_text(int sig, const uint8_t (&siginfo)[128]);
}  // namespace rp::decode
