// The registers the way rp describes them to gdb: a target description and
// the byte layout of the 'g' packet, which follows the description's register
// order. One file per architecture: gdb_regs_x86_64.cc (i386 core, sse,
// linux and segments features), gdb_regs_aarch64.cc (aarch64 core and fpu).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

namespace rp {

std::string gdb_target_xml();

struct GdbRegSlot {
  size_t offset = 0, size = 0;  // bytes in the 'g' packet
};
int gdb_reg_count();
std::optional<GdbRegSlot> gdb_reg_slot(int regno);

// A stopped thread's registers in 'g' layout; nullopt if it cannot be read.
std::optional<std::string> read_gdb_regs(pid_t tid);
// Writes back a whole 'g' block (general and floating-point/vector registers).
bool write_gdb_regs(pid_t tid, const std::string& bytes);

}  // namespace rp
