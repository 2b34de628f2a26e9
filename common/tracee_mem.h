// Reading and writing a stopped tracee's memory, one access at a time (each
// call opens what it needs). A task accessed repeatedly keeps a Tracee
// (tracee.h) instead.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "buffers.h"

namespace rp {

// Reads up to len bytes at addr; the result is shorter if the range is only
// partly readable (empty if not at all).
std::string read_mem(pid_t tid, uint64_t addr, uint64_t len);
std::optional<uint64_t> read_u64(pid_t tid, uint64_t addr);
std::optional<uint32_t> read_u32(pid_t tid, uint64_t addr);
// A NUL-terminated string of at most max bytes (without the NUL).
std::string read_cstring(pid_t tid, uint64_t addr, size_t max = 4096);
// Writes through /proc/<tid>/mem, which (like a debugger) may write read-only
// pages. False if any byte could not be written.
bool write_mem(pid_t tid, uint64_t addr, const std::string& bytes);
// The tracee's memory as the buffer rules (buffers.h) read it.
WordReader tracee_word_reader(pid_t tid);

}  // namespace rp
