#include "syscall_table.h"

#include <array>
#include <cstring>

namespace rp {
namespace {

#define RP_NONE \
  BufferSpec {}
#define RP_OUT(a, k, x, y) \
  BufferSpec { a, RP_SZ_##k, x, y }
#define RP_SYSCALL(name, x64, a64, args, pol, in, o0, o1, o2, o3) \
  SyscallSpec{#name, x64, a64, args, RP_POLICY_##pol, in, {o0, o1, o2, o3}},

const SyscallSpec kSpecs[] = {
#include "syscalls.def"
};

#undef RP_SYSCALL
#undef RP_OUT
#undef RP_NONE

constexpr int kMaxNr = 512;

struct ByNumber {
  std::array<const SyscallSpec*, kMaxNr> table{};
  ByNumber() {
    for (const auto& s : kSpecs) {
      int64_t nr = syscall_nr(s);
      if (nr >= 0 && nr < kMaxNr) table[nr] = &s;
    }
  }
};

const ByNumber& by_number() {
  static const ByNumber t;
  return t;
}

}  // namespace

int SyscallSpec::nargs() const { return static_cast<int>(std::strlen(arg_kinds)); }

int64_t syscall_nr(const SyscallSpec& s) {
#if defined(__aarch64__)
  return s.arm64_nr;
#else
  return s.x86_64_nr;
#endif
}

const SyscallSpec* syscall_spec(int64_t nr) {
  if (nr < 0 || nr >= kMaxNr) return nullptr;
  return by_number().table[nr];
}

const SyscallSpec* syscall_spec_by_name(std::string_view name) {
  for (const auto& s : kSpecs)
    if (name == s.name) return &s;
  return nullptr;
}

const SyscallSpec* syscall_specs_begin() { return std::begin(kSpecs); }
const SyscallSpec* syscall_specs_end() { return std::end(kSpecs); }

}  // namespace rp
