// Rep-prefixed string instructions stopped part-way (point_rep.h).
#include "point_rep.h"

#include <capstone/capstone.h>

namespace rp {

#if defined(__x86_64__)

std::optional<RepString> decode_rep_string(const std::string& code, uint64_t ip) {
  csh h;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) return std::nullopt;
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = nullptr;
  std::optional<RepString> out;
  if (cs_disasm(h, reinterpret_cast<const uint8_t*>(code.data()), code.size(), ip, 1, &insn) == 1) {
    const cs_x86& x = insn->detail->x86;
    const uint8_t op = x.opcode[0];
    const bool rep = x.prefix[0] == X86_PREFIX_REP || x.prefix[0] == X86_PREFIX_REPNE;
    const bool string_op = x.opcode[1] == 0 && op >= 0xa4 && op <= 0xaf && op != 0xa8 && op != 0xa9;
    if (rep && string_op && x.prefix[3] != 0x67) {  // 0xa8/0xa9: test imm, not a string op
      RepString r;
      r.length = insn->size;
      r.elem_size = (op & 1) == 0 ? 1 : (x.rex & 8) ? 8 : x.prefix[2] == 0x66 ? 2 : 4;
      switch (op & ~1) {
        case 0xa4: r.src = r.dst = r.writes_memory = true; break;        // movs
        case 0xa6: r.src = r.dst = r.compares = true; break;             // cmps
        case 0xaa: r.dst = r.writes_memory = true; break;                // stos
        case 0xac: r.src = r.loads_rax = true; break;                    // lods
        case 0xae: r.dst = r.compares = true; break;                     // scas
      }
      out = r;
    }
  }
  if (insn) cs_free(insn, 1);
  cs_close(&h);
  return out;
}

std::optional<uint64_t> rep_iterations(const RepString& rep, const Regs& now, const Regs& target) {
  constexpr unsigned long long kDirection = 0x400, kArith = 0x8d5;  // DF; OF SF ZF AF PF CF
  const RawRegs& a = now.raw;
  const RawRegs& b = target.raw;
  if (a.rip != b.rip || (a.eflags & kDirection) != (b.eflags & kDirection) || b.rcx > a.rcx)
    return std::nullopt;
  const uint64_t k = a.rcx - b.rcx;
  // Wrapping arithmetic, as the CPU's: DF set walks down.
  const uint64_t advance = (a.eflags & kDirection) ? 0 - k * rep.elem_size : k * rep.elem_size;
  if (rep.src && a.rsi + advance != b.rsi) return std::nullopt;
  if (rep.dst && a.rdi + advance != b.rdi) return std::nullopt;
  // Everything else must already be equal (rsi/rdi of an instruction that
  // does not advance them included).
  Regs moved = now;
  moved.raw.rcx = b.rcx;
  moved.raw.rsi = rep.src ? b.rsi : a.rsi;
  moved.raw.rdi = rep.dst ? b.rdi : a.rdi;
  if (rep.loads_rax) moved.raw.rax = b.rax;
  Regs want = target;
  if (rep.compares) {
    moved.raw.eflags &= ~kArith;
    want.raw.eflags &= ~kArith;
  }
  if (!moved.same_user_state(want)) return std::nullopt;
  return k;
}

#else  // arm64 has no rep-prefixed instructions

std::optional<RepString> decode_rep_string(const std::string&, uint64_t) { return std::nullopt; }
std::optional<uint64_t> rep_iterations(const RepString&, const Regs&, const Regs&) {
  return std::nullopt;
}

#endif

}  // namespace rp
