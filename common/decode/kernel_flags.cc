// Kernel flag values glibc hides: glibc defines O_LARGEFILE as 0 on 64-bit
// targets, but the kernel reports its own bit in fcntl(F_GETFL). This file
// includes only the kernel's uapi header so its definition wins.
#include <asm/fcntl.h>

#include <cstdint>

namespace rp::decode {
extern const uint64_t kKernelLargefile;
const uint64_t kKernelLargefile = O_LARGEFILE;
}  // namespace rp::decode
