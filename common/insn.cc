#include "insn.h"

#include <capstone.h>
#include <signal.h>

#include <cstring>

namespace rp {

namespace {

bool g_rdtsc_patched = false;

#if defined(__x86_64__)
TrappedInsn decode_x86(const std::string& code, uint64_t ip, int* length) {
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
}
#endif

// MRS (system register to general register): op0 = 3, op1 = 3, CRn = 14,
// CRm = 0 is the generic timer's counter group; op2 picks the register.
constexpr uint32_t kMrsCounterGroup = 0xd53be000;
constexpr uint32_t kOp2Cntvct = 2, kOp2Cntvctss = 6;
constexpr uint32_t kBrk = 0xd4200000;  // brk #imm16: imm16 in bits 5..20

}  // namespace

void set_rdtsc_patched(bool on) { g_rdtsc_patched = on; }
bool rdtsc_patched() { return g_rdtsc_patched; }

std::string encode_tsc_trap(TrappedInsn kind) {
  if (kind == TrappedInsn::kRdtscp) return {char(kIntOpcode), char(kRdtscpTrapVector), char(0x90)};
  return {char(kIntOpcode), char(kRdtscTrapVector)};
}

std::string encode_tsc_read(TrappedInsn kind) {
  return kind == TrappedInsn::kRdtscp ? std::string("\x0f\x01\xf9") : std::string("\x0f\x31");
}

TrappedInsn decode_tsc_trap(std::string_view code, int* length) {
  if (code.size() >= 2 && code.substr(0, 2) == encode_tsc_trap(TrappedInsn::kRdtsc)) {
    *length = 2;
    return TrappedInsn::kRdtsc;
  }
  if (code.size() >= 3 && code.substr(0, 3) == encode_tsc_trap(TrappedInsn::kRdtscp)) {
    *length = 3;
    return TrappedInsn::kRdtscp;
  }
  return TrappedInsn::kNone;
}

TrappedInsn decode_trapped(const std::string& code, uint64_t ip, int* length) {
#if defined(__x86_64__)
  if (g_rdtsc_patched) {
    TrappedInsn patched = decode_tsc_trap(code, length);
    if (patched != TrappedInsn::kNone) return patched;
  }
  return decode_x86(code, ip, length);
#else
  (void)ip;
  uint32_t word = 0;
  if (code.size() < sizeof word) return TrappedInsn::kNone;
  std::memcpy(&word, code.data(), sizeof word);
  auto r = decode_counter_trap(word);
  if (!r) return TrappedInsn::kNone;
  *length = 4;
  return r->kind;
#endif
}

const char* trapped_insn_name(TrappedInsn k) {
  switch (k) {
    case TrappedInsn::kRdtsc: return "rdtsc";
    case TrappedInsn::kRdtscp: return "rdtscp";
    case TrappedInsn::kCpuid: return "cpuid";
    case TrappedInsn::kCntvct: return "cntvct_el0";
    case TrappedInsn::kCntvctss: return "cntvctss_el0";
    case TrappedInsn::kNone: break;
  }
  return "?";
}

int trapped_insn_signal() {
#if defined(__x86_64__)
  return SIGSEGV;
#else
  return SIGTRAP;
#endif
}

bool is_trapped_insn_siginfo(int sig, int si_code) {
#if defined(__x86_64__)
  return sig == SIGSEGV && si_code == SI_KERNEL;
#else
  return sig == SIGTRAP && si_code == TRAP_BRKPT;
#endif
}

std::optional<CounterRead> decode_counter_read(uint32_t word) {
  if ((word & 0xffffff00) != kMrsCounterGroup) return std::nullopt;
  uint32_t op2 = (word >> 5) & 7;
  int rt = static_cast<int>(word & 31);
  if (op2 == kOp2Cntvct) return CounterRead{TrappedInsn::kCntvct, rt};
  if (op2 == kOp2Cntvctss) return CounterRead{TrappedInsn::kCntvctss, rt};
  return std::nullopt;
}

uint32_t encode_counter_read(const CounterRead& r) {
  uint32_t op2 = r.kind == TrappedInsn::kCntvctss ? kOp2Cntvctss : kOp2Cntvct;
  return kMrsCounterGroup | op2 << 5 | static_cast<uint32_t>(r.rt & 31);
}

uint32_t encode_counter_trap(const CounterRead& r) {
  uint32_t ss = r.kind == TrappedInsn::kCntvctss ? 1 : 0;
  uint32_t imm = kCounterBrkBase | ss << 5 | static_cast<uint32_t>(r.rt & 31);
  return kBrk | imm << 5;
}

std::optional<CounterRead> decode_counter_trap(uint32_t word) {
  if ((word & 0xffe0001f) != kBrk) return std::nullopt;
  uint32_t imm = (word >> 5) & 0xffff;
  if ((imm & ~uint32_t{63}) != kCounterBrkBase) return std::nullopt;
  auto kind = (imm & 32) ? TrappedInsn::kCntvctss : TrappedInsn::kCntvct;
  return CounterRead{kind, static_cast<int>(imm & 31)};
}

}  // namespace rp
