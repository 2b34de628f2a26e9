#include "exec_identity.h"

#include <elf.h>

namespace rp {
namespace {

// Bounds of the walk: the kernel's own limits keep a real stack far below
// them (MAX_ARG_STRINGS is 0x7fffffff, but the strings must fit in the
// stack limit's quarter); a damaged walk ends there instead of reading on.
constexpr uint64_t kMaxPointers = 1u << 20;
constexpr uint64_t kMaxAuxv = 256;

bool identity_key(uint64_t key) {
  return key == AT_UID || key == AT_EUID || key == AT_GID || key == AT_EGID || key == AT_SECURE;
}

}  // namespace

std::vector<Region> auxv_identity_regions(Tracee& mem, uint64_t sp) {
  std::vector<Region> out;
  auto argc = mem.read_u64(sp);
  if (!argc || *argc > kMaxPointers) return out;
  uint64_t at = sp + 8 * (1 + *argc + 1);  // past argv and its NULL
  for (uint64_t n = 0;; n++, at += 8) {    // past envp and its NULL
    auto p = mem.read_u64(at);
    if (!p || n > kMaxPointers) return out;
    if (*p == 0) break;
  }
  at += 8;
  for (uint64_t n = 0; n < kMaxAuxv; n++, at += 16) {
    auto key = mem.read_u64(at);
    if (!key || *key == AT_NULL) break;
    if (identity_key(*key)) out.push_back(Region{at + 8, 8});
  }
  return out;
}

}  // namespace rp
