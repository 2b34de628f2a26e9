// strace-like text for events: used by `rp dump` and divergence reports.
#pragma once
#include <string>

#include "trace.h"

namespace rp {

std::string render_call(const Event& e, bool with_ret = true);  // "openat(AT_FDCWD, "/x", 0) = 3"
std::string render_event(const Event& e);   // "seq tid " + call, signals, exits
std::string render_event_text(const Event& e);  // the same without "seq tid "
std::string render_return(int64_t ret);     // "3", "-1 ENOENT (No such file or directory)"
std::string render_bytes(const std::string& b, size_t max);  // "3f a2 ..." hex preview
std::string render_wait_status(int64_t status);             // "exited with 0", "killed by SIGSEGV"
// A wait status as a shell reports it: the exit code, or 128+N for signal N.
int exit_code_of(int status);
std::string render_signal(int sig);                         // "SIGUSR1", realtime ones too
std::string quote(const std::string& s, size_t max = 64);   // C-escaped, quoted

}  // namespace rp
