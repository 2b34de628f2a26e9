// x86-64 registers the way rp describes them to gdb: a target description
// (core, sse, linux and segments features) and the byte layout of the 'g'
// packet, which follows the description's register order.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

namespace rp {

// Only x86_64 has a target description and register access so far; on
// arm64 `rp replay -g` is refused (it would need the aarch64 description,
// brk instead of int3 and NT_ARM_HW_WATCH watchpoints).
#if defined(__x86_64__)
constexpr bool kGdbRegistersSupported = true;
#else
constexpr bool kGdbRegistersSupported = false;
#endif

std::string gdb_target_xml();

struct GdbRegSlot {
  size_t offset = 0, size = 0;  // bytes in the 'g' packet
};
int gdb_reg_count();
std::optional<GdbRegSlot> gdb_reg_slot(int regno);

// A stopped thread's registers in 'g' layout; nullopt if it cannot be read.
std::optional<std::string> read_gdb_regs(pid_t tid);
// Writes back a whole 'g' block (general and x87/SSE registers).
bool write_gdb_regs(pid_t tid, const std::string& bytes);

}  // namespace rp
