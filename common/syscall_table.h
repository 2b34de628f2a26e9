// The C++ view of syscalls.def: lookup by number for the host architecture.
#pragma once
#include <cstdint>
#include <string_view>

#include "rp_abi.h"

namespace rp {

struct BufferSpec {
  int arg = -1;            // which argument holds the pointer; -1: none
  rp_size kind = RP_SZ_NONE;
  int64_t p1 = 0, p2 = 0;  // meaning depends on kind, see syscalls.def
  bool present() const { return arg >= 0 && kind != RP_SZ_NONE; }
};

struct SyscallSpec {
  const char* name;
  int x86_64_nr;
  int arm64_nr;
  const char* arg_kinds;  // one letter per argument
  rp_policy policy;
  BufferSpec input;       // bytes the syscall reads, hashed while recording
  BufferSpec out[4];      // bytes the kernel writes, recorded
  int nargs() const;
};

// The spec for a syscall number of the host architecture, or nullptr if rp
// does not know it (it is then recorded as number, arguments and result).
const SyscallSpec* syscall_spec(int64_t nr);
const SyscallSpec* syscall_spec_by_name(std::string_view name);
int64_t syscall_nr(const SyscallSpec& s);  // host architecture number
// Every known spec, in table order.
const SyscallSpec* syscall_specs_begin();
const SyscallSpec* syscall_specs_end();

}  // namespace rp
