#include "insn.h"

#include <capstone.h>

namespace rp {

TrappedInsn decode_trapped(const std::string& code, uint64_t ip, int* length) {
#if defined(__x86_64__)
  csh h;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) return TrappedInsn::kNone;
  cs_insn* insn = nullptr;
  TrappedInsn kind = TrappedInsn::kNone;
  size_t n = cs_disasm(h, reinterpret_cast<const uint8_t*>(code.data()), code.size(), ip, 1, &insn);
  if (n == 1) {
    *length = insn[0].size;
    switch (insn[0].id) {
      case X86_INS_RDTSC: kind = TrappedInsn::kRdtsc; break;
      case X86_INS_RDTSCP: kind = TrappedInsn::kRdtscp; break;
      case X86_INS_CPUID: kind = TrappedInsn::kCpuid; break;
      default: break;
    }
    cs_free(insn, n);
  }
  cs_close(&h);
  return kind;
#else
  (void)code;
  (void)ip;
  (void)length;
  return TrappedInsn::kNone;  // arm64: counter reads (cntvct_el0) are not trapped yet
#endif
}

const char* trapped_insn_name(TrappedInsn k) {
  switch (k) {
    case TrappedInsn::kRdtsc: return "rdtsc";
    case TrappedInsn::kRdtscp: return "rdtscp";
    case TrappedInsn::kCpuid: return "cpuid";
    case TrappedInsn::kNone: break;
  }
  return "?";
}

}  // namespace rp
