// Code generation for the conditional trap at an asynchronous point
// (point_patch.h): x86_64 here, arm64's stub in point_patch_aarch64.cc.
#include "point_patch.h"

#include <capstone/capstone.h>
#if defined(__x86_64__)
#include <Zydis/Zydis.h>
#endif

#include <algorithm>
#include <cstring>
#include <tuple>

#include "rp_digest_rules.h"

namespace rp {

#if defined(__x86_64__)
namespace {

constexpr uint8_t kInt3 = 0xcc;
constexpr uint32_t kJumpLen = 5;
// The flags as lahf (SF ZF AF PF CF, bit 1 set, in ah) and seto (OF, in al)
// give them: RF/TF differ at traps, DF is compared at the stop.
uint64_t lahf_seto(uint64_t eflags) {
  return ((((eflags & 0xd5) | 2) << 8) | ((eflags >> 11) & 1));
}

// Registers compared by the trampoline, by hardware number (rsp apart).
constexpr int kGprs[] = {0 /*rax*/, 3 /*rbx*/, 1 /*rcx*/, 2 /*rdx*/, 6 /*rsi*/, 7 /*rdi*/,
                         5 /*rbp*/, 8, 9, 10, 11, 12, 13, 14, 15};
constexpr int kRspSlot = 15, kFlagsSlot = 16;
// Where the memory check keeps rcx, rdx and rsi (past the passes and budget),
// and where every pass keeps rax and the flags (as lahf/seto leave them).
constexpr int kSpillSlot = 20;
constexpr int kRaxSlot = 23, kSavedFlagsSlot = 24;

uint64_t gpr(const Regs& r, int n) {
  const auto& x = r.raw;
  const unsigned long long v[16] = {x.rax, x.rcx, x.rdx, x.rbx, x.rsp, x.rbp, x.rsi, x.rdi,
                                    x.r8,  x.r9,  x.r10, x.r11, x.r12, x.r13, x.r14, x.r15};
  return v[n];
}

bool fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

void put32(std::string& s, size_t at, int32_t v) { std::memcpy(&s[at], &v, 4); }

// A tiny assembler: bytes at a known address, rel32 fixups to labels bound later.
class Asm {
 public:
  explicit Asm(uint64_t base) : base_(base) {}
  uint64_t here() const { return base_ + code_.size(); }
  void bytes(std::initializer_list<uint8_t> b) { code_.append(b.begin(), b.end()); }
  void imm32(uint32_t v) { code_.append(reinterpret_cast<const char*>(&v), 4); }
  void imm64(uint64_t v) { code_.append(reinterpret_cast<const char*>(&v), 8); }
  void raw(const std::string& b) { code_ += b; }
  // `op` followed by a rel32 to an address known now.
  bool rel_to(std::initializer_list<uint8_t> op, uint64_t target, size_t tail = 0) {
    bytes(op);
    int64_t rel = static_cast<int64_t>(target - (here() + 4 + tail));
    code_.append(4, '\0');
    if (!fits32(rel)) return false;
    put32(code_, code_.size() - 4, static_cast<int32_t>(rel));
    return true;
  }
  // `op` followed by a rel32 to label `id`, bound later.
  void rel_label(std::initializer_list<uint8_t> op, int id) {
    bytes(op);
    fixups_.push_back({code_.size(), id});
    code_.append(4, '\0');
  }
  void bind(int id) {
    if (labels_.size() <= static_cast<size_t>(id)) labels_.resize(id + 1);
    labels_[id] = here();
  }
  uint64_t label(int id) const { return labels_[id]; }
  std::string finish() {
    for (auto [at, id] : fixups_)
      put32(code_, at, static_cast<int32_t>(labels_[id] - (base_ + at + 4)));
    return code_;
  }

 private:
  uint64_t base_;
  std::string code_;
  std::vector<std::pair<size_t, int>> fixups_;
  std::vector<uint64_t> labels_;
};

enum Label { kMiss, kForced, kMemoryMiss, kCount };

// What a call pushes, without touching a register or the flags:
// push $lo (sign-extended), then movl $hi, 4(%rsp).
constexpr uint32_t kPushReturnLen = 5 + 8;
void push_return_address(Asm& a, uint64_t ret) {
  uint32_t lo = static_cast<uint32_t>(ret), hi = static_cast<uint32_t>(ret >> 32);
  a.bytes({0x68, static_cast<uint8_t>(lo), static_cast<uint8_t>(lo >> 8),
           static_cast<uint8_t>(lo >> 16), static_cast<uint8_t>(lo >> 24)});
  a.bytes({0xc7, 0x44, 0x24, 0x04, static_cast<uint8_t>(hi), static_cast<uint8_t>(hi >> 8),
           static_cast<uint8_t>(hi >> 16), static_cast<uint8_t>(hi >> 24)});
}

// Relocates one instruction to the assembler's current address.
bool relocate(Asm& a, const PatchSite& site, const PatchSite::Insn& in,
              const std::vector<uint64_t>& copies, uint64_t entry) {
  auto inside = [&](uint64_t t) -> std::optional<uint64_t> {
    if (t < site.ip || t >= site.ip + site.length) return t;
    if (t == site.ip) return entry;  // a loop back to the site: another pass, compared
    for (size_t i = 0; i < site.insns.size(); i++)
      if (site.ip + site.insns[i].offset == t && copies[i]) return copies[i];
    return std::nullopt;  // a backward branch inside the site whose copy is not known yet
  };
  switch (in.kind) {
    case PatchSite::Insn::kPlain: a.raw(in.bytes); return true;
    case PatchSite::Insn::kRipRelative: {
      std::string b = in.bytes;
      int32_t disp;
      std::memcpy(&disp, &b[in.disp_offset], 4);
      uint64_t abs = site.ip + in.offset + in.bytes.size() + disp;
      int64_t nd = static_cast<int64_t>(abs - (a.here() + b.size()));
      if (!fits32(nd)) return false;
      put32(b, in.disp_offset, static_cast<int32_t>(nd));
      a.raw(b);
      return true;
    }
    case PatchSite::Insn::kJump: {
      auto t = inside(in.target);
      return t && a.rel_to({0xe9}, *t);
    }
    case PatchSite::Insn::kCondJump: {
      auto t = inside(in.target);
      return t && a.rel_to({0x0f, static_cast<uint8_t>(0x80 | in.cond)}, *t);
    }
    case PatchSite::Insn::kLoop: {  // rel8 only: rcx - 1 without touching the flags, as loop
      auto t = inside(in.target);
      if (!t) return false;
      a.raw(std::string("\x48\x8d\x49\xff\xe3\x05", 6));  // lea -1(%rcx),%rcx; jrcxz over the jmp
      return a.rel_to({0xe9}, *t);
    }
    case PatchSite::Insn::kJrcxz: {
      auto t = inside(in.target);
      if (!t) return false;
      a.raw(std::string("\xe3\x02\xeb\x05", 4));  // jrcxz to the jmp; else over it
      return a.rel_to({0xe9}, *t);
    }
    case PatchSite::Insn::kCall: {
      push_return_address(a, site.ip + in.offset + in.bytes.size());
      auto t = inside(in.target);
      return t && a.rel_to({0xe9}, *t);
    }
    case PatchSite::Insn::kCallIndirect: {
      push_return_address(a, site.ip + in.offset + in.bytes.size());
      std::string b = in.bytes;
      b[in.modrm_offset] = static_cast<char>((b[in.modrm_offset] & ~0x38) | (4 << 3));  // jmp
      if (in.disp_offset) {
        PatchSite::Insn jmp = in;
        jmp.bytes = b;
        jmp.kind = PatchSite::Insn::kRipRelative;
        return relocate(a, site, jmp, copies, entry);
      }
      a.raw(b);
      return true;
    }
    case PatchSite::Insn::kSyscall: return false;  // the agent's stub runs it
  }
  return false;
}

// The rel32 the jump may take with `filler` in its fixed bytes (inclusive).
std::pair<int64_t, int64_t> jump_range(const PatchSite& site, uint8_t filler) {
  if (site.fixed_from >= 4)  // margins for the rip-relative copies
    return {INT32_MIN + (int64_t{1} << 24), INT32_MAX - (int64_t{1} << 24)};
  const uint32_t free_mask = (uint32_t{1} << (8 * site.fixed_from)) - 1;
  const int64_t lo = static_cast<int32_t>(filler * 0x01010101u & ~free_mask);
  return {lo, lo + free_mask};
}

// int3 first; then invalid opcodes (#UD in 64-bit mode): forward reach
// (push/pop of segment registers, daa, das, aaa, aas, pusha, popa), then
// backward (into, aam, aad, salc).

// Registers (hardware numbers) a rep string instruction changes from one
// iteration to the next, which the trampoline does not compare for equality.
bool rep_advances(const RepString& rep, int r) {
  return r == 1 || (r == 6 && rep.src) || (r == 7 && rep.dst) || (r == 0 && rep.loads_rax);
}

int log2_size(unsigned size) { return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0; }

// After the equal registers (rax compared, so free to clobber: the restore
// reloads it): miss unless rcx >= the recorded rcx and, for rsi/rdi, their
// invariant rsi +- (rcx << log2 size) equals the recorded one's.
void emit_rep_compare(Asm& a, const PatchSite& site, uint64_t rcx_slot, uint64_t rsi_slot,
                      uint64_t rdi_slot) {
  const RepString& rep = *site.rep;
  a.rel_to({0x48, 0x39, 0x0d}, rcx_slot);  // cmp %rcx, want_rcx(%rip)
  a.rel_label({0x0f, 0x87}, kMiss);        // ja miss: recorded rcx above ours
  for (int r : {6, 7}) {
    if ((r == 6 && !rep.src) || (r == 7 && !rep.dst)) continue;
    a.bytes({0x48, 0x89, 0xc8});  // mov %rcx,%rax
    if (int s = log2_size(rep.elem_size)) a.bytes({0x48, 0xc1, 0xe0, static_cast<uint8_t>(s)});
    if (site.rep_backward) a.bytes({0x48, 0xf7, 0xd8});              // neg %rax
    a.bytes({0x48, 0x01, static_cast<uint8_t>(0xc0 | (r << 3))});  // add %rsi/%rdi,%rax
    a.rel_to({0x48, 0x39, 0x05}, r == 6 ? rsi_slot : rdi_slot);     // cmp %rax, want(%rip)
    a.rel_label({0x0f, 0x85}, kMiss);
  }
}

// A call the trampoline can make from elsewhere: `call rel32`, and calls
// through a register or memory whose address does not depend on rsp (the
// push moves it) nor, other than as `disp32(%rip)`, on rip.
bool plan_call(const cs_insn* insn, PatchSite::Insn* in) {
  const cs_x86& x = insn->detail->x86;
  if (x.opcode[0] == 0xe8 && x.op_count == 1 && x.operands[0].type == X86_OP_IMM) {
    in->kind = PatchSite::Insn::kCall;
    in->target = static_cast<uint64_t>(x.operands[0].imm);
    return true;
  }
  // ff /2 only (ff /3 is a far call, lcall)
  if (insn->id != X86_INS_CALL || x.opcode[0] != 0xff || x.op_count != 1 ||
      x.encoding.modrm_offset == 0)
    return false;
  const cs_x86_op& op = x.operands[0];
  const bool reg = op.type == X86_OP_REG && op.reg != X86_REG_RSP;
  const bool rip = op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP &&
                   op.mem.index == X86_REG_INVALID && x.encoding.disp_size == 4;
  const bool mem = op.type == X86_OP_MEM && op.mem.base != X86_REG_RIP &&
                   op.mem.base != X86_REG_RSP && op.mem.index != X86_REG_RSP;
  if (!reg && !rip && !mem) return false;
  in->kind = PatchSite::Insn::kCallIndirect;
  in->modrm_offset = x.encoding.modrm_offset;
  in->disp_offset = rip ? x.encoding.disp_offset : 0;
  return true;
}

// Capstone 4 (Debian 12's) cannot decode some AVX-512 forms glibc's
// string functions run in their loops (vpcmpeqb/vpcmpnequb into a mask
// register, kmovd): Zydis decodes the instructions Capstone refuses. None of
// those branches; accepted are position-independent ones and those with a
// rip-relative disp32 (relocated like Capstone's).
bool decode_with_zydis(const uint8_t* p, size_t left, PatchSite::Insn* in, std::string* why) {
  ZydisDecoder dec;
  ZydisDecodedInstruction zi;
  if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
      !ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, nullptr, p, left, &zi))) {
    *why = "undecodable instruction at the site";
    return false;
  }
  switch (zi.meta.category) {
    case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_COND_BR: case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSTEM:
      *why = "cannot relocate a control transfer Capstone does not decode";
      return false;
    default: break;
  }
  in->bytes.assign(reinterpret_cast<const char*>(p), zi.length);
  if (zi.attributes & ZYDIS_ATTRIB_IS_RELATIVE) {
    const bool rip_disp = zi.raw.modrm.mod == 0 && zi.raw.modrm.rm == 5 && zi.raw.disp.size == 32;
    if (!rip_disp || zi.raw.disp.offset == 0) {
      *why = "unexpected rip-relative encoding";
      return false;
    }
    in->kind = PatchSite::Insn::kRipRelative;
    in->disp_offset = zi.raw.disp.offset;
  }
  return true;
}

}  // namespace

uint32_t relocated_size(const PatchSite::Insn& in) {
  switch (in.kind) {
    case PatchSite::Insn::kJump: return 5;
    case PatchSite::Insn::kCondJump: return 6;
    case PatchSite::Insn::kLoop: return 11;
    case PatchSite::Insn::kJrcxz: return 9;
    case PatchSite::Insn::kCall: return kPushReturnLen + 5;
    case PatchSite::Insn::kCallIndirect: return kPushReturnLen + in.bytes.size();
    default: return in.bytes.size();
  }
}

void set_rep_compare(PatchSite& site, const RepString& rep, const Regs& target) {
  site.rep = rep;
  site.rep_backward = (target.raw.eflags & 0x400) != 0;  // DF
}

std::optional<std::string> relocate_tail(const PatchSite& site, size_t first, uint64_t at,
                                         uint64_t loop_to, std::vector<uint64_t>* copies,
                                         std::string* why) {
  // Where each instruction's copy goes: sizes do not depend on targets
  // (rel32 everywhere), so they are known before relocating (a branch inside
  // the site may go forward).
  copies->assign(site.insns.size(), 0);
  uint64_t next = at;
  for (size_t i = first; i < site.insns.size(); i++) {
    (*copies)[i] = next;
    next += relocated_size(site.insns[i]);
  }
  Asm a(at);
  for (size_t i = first; i < site.insns.size(); i++) {
    if (site.insns[i].kind == PatchSite::Insn::kSyscall ||
        !relocate(a, site, site.insns[i], *copies, loop_to)) {
      *why = "a relocated instruction cannot reach its target from the trampoline";
      return std::nullopt;
    }
  }
  if (!a.rel_to({0xe9}, site.ip + site.length)) {
    *why = "the trampoline cannot jump back";
    return std::nullopt;
  }
  return a.finish();
}

std::optional<PatchSite> plan_patch_site(const std::string& code, uint64_t ip, std::string* why,
                                         bool syscall_first) {
  csh h;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
    *why = "capstone cannot decode x86_64";
    return std::nullopt;
  }
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  PatchSite s;
  s.ip = ip;
  std::optional<PatchSite> out;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(code.data());
  size_t left = code.size();
  uint64_t addr = ip;
  cs_insn* insn = cs_malloc(h);
  while (s.length < kJumpLen) {
    if (!cs_disasm_iter(h, &p, &left, &addr, insn)) {
      PatchSite::Insn in;
      in.offset = s.length;
      if (!decode_with_zydis(p, left, &in, why)) break;
      p += in.bytes.size(), left -= in.bytes.size(), addr += in.bytes.size();
      s.length += in.bytes.size();
      s.insns.push_back(std::move(in));
      continue;
    }
    const cs_detail* d = insn->detail;
    const cs_x86& x = d->x86;
    auto in_group = [&](uint8_t g) {
      for (int i = 0; i < d->groups_count; i++)
        if (d->groups[i] == g) return true;
      return false;
    };
    PatchSite::Insn in;
    in.offset = s.length;
    in.bytes.assign(reinterpret_cast<const char*>(insn->bytes), insn->size);
    bool rel_branch = in_group(CS_GRP_BRANCH_RELATIVE);
    bool riprel = false;
    for (int i = 0; i < x.op_count; i++)
      if (x.operands[i].type == X86_OP_MEM && x.operands[i].mem.base == X86_REG_RIP) riprel = true;
    // The in-process agent's sites (replay/agent/) replace the syscall
    // itself: its stub runs the call, so only the instructions after it move.
    bool replaced_syscall = syscall_first && s.insns.empty() && insn->id == X86_INS_SYSCALL;
    if (syscall_first && s.insns.empty() && !replaced_syscall) {
      *why = "no syscall instruction at the site";
      break;
    }
    if (replaced_syscall) {
      in.kind = PatchSite::Insn::kSyscall;
    } else if (in_group(CS_GRP_CALL) && s.length + insn->size >= kJumpLen &&
               plan_call(insn, &in)) {
      // A call must end the patched bytes: its callee returns after them.
      s.length += insn->size;
      s.insns.push_back(std::move(in));
      continue;
    } else if (in_group(CS_GRP_CALL) || in_group(CS_GRP_INT) || in_group(CS_GRP_IRET) ||
        in_group(CS_GRP_PRIVILEGE) || insn->id == X86_INS_SYSCALL ||
        insn->id == X86_INS_SYSENTER || insn->id == X86_INS_INT3 || insn->id == X86_INS_UD2) {
      *why = std::string("cannot relocate `") + insn->mnemonic + "`";
      break;
    }
    if (rel_branch) {
      uint8_t op0 = x.opcode[0], op1 = x.opcode[1];
      in.target = static_cast<uint64_t>(x.operands[0].imm);
      if (op0 == 0xe9 || op0 == 0xeb) {
        in.kind = PatchSite::Insn::kJump;
      } else if ((op0 & 0xf0) == 0x70) {
        in.kind = PatchSite::Insn::kCondJump, in.cond = op0 & 0xf;
      } else if (op0 == 0x0f && (op1 & 0xf0) == 0x80) {
        in.kind = PatchSite::Insn::kCondJump, in.cond = op1 & 0xf;
      } else if ((op0 == 0xe2 || op0 == 0xe3) && x.prefix[3] != 0x67) {  // rcx, not ecx
        in.kind = op0 == 0xe2 ? PatchSite::Insn::kLoop : PatchSite::Insn::kJrcxz;
      } else {
        *why = std::string("cannot relocate `") + insn->mnemonic + "`";  // loope/loopne, ecx forms
        break;
      }
    } else if (riprel) {
      if (x.encoding.disp_size != 4 || x.encoding.disp_offset == 0) {
        *why = "unexpected rip-relative encoding";
        break;
      }
      in.kind = PatchSite::Insn::kRipRelative;
      in.disp_offset = x.encoding.disp_offset;
    }
    s.length += insn->size;
    s.insns.push_back(std::move(in));
  }
  cs_free(insn, 1);
  cs_close(&h);
  if (s.length < kJumpLen) return std::nullopt;
  // Instruction starts at bytes 1..4 fall inside the rel32: those bytes, and
  // (simpler to search) every byte above the lowest of them, must be filler.
  for (const auto& in : s.insns)
    if (in.offset >= 1 && in.offset < kJumpLen) s.fixed_from = std::min<int>(s.fixed_from, in.offset - 1);
  std::tie(s.rel_lo, s.rel_hi) = jump_range(s, kInt3);
  return s;
}

// int3 first; then invalid opcodes (#UD in 64-bit mode): forward reach
// (push/pop of segment registers, daa, das, aaa, aas, pusha, popa), then
// backward (into, aam, aad, salc).
const std::vector<uint8_t> kPatchFillers = {kInt3, 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27,
                                            0x2f, 0x37, 0x3f, 0x60, 0x61, 0xce, 0xd4, 0xd5, 0xd6};

std::optional<std::pair<uint64_t, uint64_t>> jump_entries(const PatchSite& site, uint8_t filler) {
  // Signed: a site in the low 2 GiB (a non-PIE program's text, python3's)
  // would wrap lo around to the top of the address space.
  const auto [rel_lo, rel_hi] = jump_range(site, filler);
  const int64_t next = static_cast<int64_t>(site.ip + kJumpLen);
  if (next + rel_hi < 0) return std::nullopt;
  return std::pair{static_cast<uint64_t>(std::max<int64_t>(0, next + rel_lo)),
                   static_cast<uint64_t>(next + rel_hi)};
}

// rcx, rdx and rsi to the data block's spill slots (save) or back (!save).
void spill_scratch(Asm& a, uint64_t spill, bool save) {
  const uint8_t op = save ? 0x89 : 0x8b;  // mov %reg,disp(%rip) / mov disp(%rip),%reg
  a.rel_to({0x48, op, 0x0d}, spill);       // rcx
  a.rel_to({0x48, op, 0x15}, spill + 8);   // rdx
  a.rel_to({0x48, op, 0x35}, spill + 16);  // rsi
}

// At a pass with the recorded registers (rax and the flags saved under the
// red zone): hashes each window as rp_digest_words does and goes to
// kMemoryMiss unless every one has its recorded 64-bit sum (never a narrow
// one: search_patched leaves those to rp). Its addresses are
// constants: at a register match the registers, and so the windows, are the
// recorded ones.
void emit_window_checks(Asm& a, const std::vector<DigestWindow>& windows, uint64_t spill) {
  spill_scratch(a, spill, true);
  for (const DigestWindow& w : windows) {
    a.bytes({0x48, 0xb8});
    a.imm64(RP_DIGEST_BASIS);  // movabs $basis,%rax
    a.bytes({0x48, 0xbe});
    a.imm64(w.start);  // movabs $start,%rsi
    a.bytes({0xb9});
    a.imm32(w.words);  // mov $words,%ecx
    const uint64_t word = a.here();
    a.bytes({0x48, 0x33, 0x06});  // xor (%rsi),%rax
    a.bytes({0x48, 0xba});
    a.imm64(RP_DIGEST_PRIME);                 // movabs $prime,%rdx
    a.bytes({0x48, 0x0f, 0xaf, 0xc2});        // imul %rdx,%rax
    a.bytes({0x48, 0x89, 0xc2});              // mov %rax,%rdx
    a.bytes({0x48, 0xc1, 0xea, RP_DIGEST_SHIFT});  // shr $29,%rdx
    a.bytes({0x48, 0x31, 0xd0});              // xor %rdx,%rax
    a.bytes({0x48, 0x83, 0xc6, 0x08});        // add $8,%rsi
    a.bytes({0xff, 0xc9});                    // dec %ecx
    a.rel_to({0x0f, 0x85}, word);             // jnz word
    a.bytes({0x48, 0xba});
    a.imm64(w.sum);                           // movabs $sum,%rdx
    a.bytes({0x48, 0x39, 0xd0});              // cmp %rdx,%rax
    a.rel_label({0x0f, 0x85}, kMemoryMiss);   // jne memory_miss
  }
  spill_scratch(a, spill, false);
}

uint64_t differing_registers(const Regs& a, const Regs& b) {
  uint64_t mask = 0;
  for (int n = 0; n < 16; n++)
    if (gpr(a, n) != gpr(b, n)) mask |= uint64_t{1} << n;
  return mask;
}

std::optional<Trampoline> build_trampoline(const PatchSite& site, const PatchPlace& place,
                                           std::string* why,
                                           const std::vector<DigestWindow>& windows,
                                           uint64_t compare_first) {
  Trampoline t;
  t.data = place.map + 2 * 4096;
  auto slot = [&](int i) { return t.data + 8 * i; };
  Asm a(place.entry);
  // Flags and rax are kept in the data block, not under the stack pointer,
  // where the recording had bytes the program may read later (a frame's
  // uninitialized slots, which a switch's digest may hash): lahf/sahf and
  // seto are much cheaper than pushfq/popfq, and this runs on every pass.
  a.rel_to({0x48, 0x89, 0x05}, slot(kRaxSlot));         // mov %rax,saved_rax(%rip)
  a.bytes({0x9f, 0x0f, 0x90, 0xc0});                   // lahf; seto %al
  a.rel_to({0x66, 0x89, 0x05}, slot(kSavedFlagsSlot));  // mov %ax,saved_flags(%rip)
  a.rel_to({0x48, 0x8b, 0x05}, slot(kRaxSlot));         // mov saved_rax(%rip),%rax
  a.rel_to({0x48, 0xff, 0x05}, t.data + kPatchPassesOffset);  // incq passes(%rip)
  for (bool first : {true, false})
    for (int i = 0; i < 16; i++) {  // cmp %reg, want(%rip); jne miss
      int r = i < 15 ? kGprs[i] : 4 /*rsp*/;
      if (((compare_first >> r) & 1) != first) continue;
      if (site.rep && rep_advances(*site.rep, r)) continue;
      a.rel_to({static_cast<uint8_t>(0x48 | (r >= 8 ? 4 : 0)), 0x39,
                static_cast<uint8_t>(((r & 7) << 3) | 5)},
               slot(i));
      a.rel_label({0x0f, 0x85}, kMiss);
    }
  if (site.rep) emit_rep_compare(a, site, slot(2), slot(4), slot(5));
  if (!site.rep || !site.rep->compares) {
    a.rel_to({0x66, 0x8b, 0x05}, slot(kSavedFlagsSlot));  // mov saved_flags(%rip),%ax
    a.rel_to({0x66, 0x39, 0x05}, slot(kFlagsSlot));       // cmp %ax, want_flags(%rip)
    a.rel_label({0x0f, 0x85}, kMiss);
  }
  if (!windows.empty()) emit_window_checks(a, windows, slot(kSpillSlot));
  // Back to the program's flags (OF from al: 1 + 0x7f overflows) and rax.
  auto restore = [&] {
    a.rel_to({0x66, 0x8b, 0x05}, slot(kSavedFlagsSlot));  // mov saved_flags(%rip),%ax
    a.bytes({0x04, 0x7f, 0x9e});                          // add $0x7f,%al; sahf
    a.rel_to({0x48, 0x8b, 0x05}, slot(kRaxSlot));         // mov saved_rax(%rip),%rax
  };
  restore();
  t.hit = a.here();
  a.bytes({kInt3});
  a.bind(kMemoryMiss);
  if (!windows.empty()) spill_scratch(a, slot(kSpillSlot), false);
  a.bind(kMiss);
  a.rel_to({0x48, 0xff, 0x0d}, t.data + kPatchBudgetOffset);  // decq budget(%rip)
  a.rel_label({0x0f, 0x84}, kForced);                        // jz forced
  restore();
  t.body = a.here();
  // Where each instruction's copy goes: sizes do not depend on targets
  // (rel32 everywhere), so they are known before relocating (a branch inside
  // the site may go forward).
  std::vector<uint64_t> copies;
  auto tail = relocate_tail(site, 0, a.here(), place.entry, &copies, why);
  if (!tail) return std::nullopt;
  a.raw(*tail);
  a.bind(kForced);
  restore();
  t.forced = a.here();
  a.bytes({kInt3});
  t.code = a.finish();
  if (place.entry + t.code.size() > place.map + 2 * 4096) {
    *why = "the trampoline does not fit its pages";
    return std::nullopt;
  }
  int64_t rel = static_cast<int64_t>(place.entry - (site.ip + kJumpLen));
  const auto [rel_lo, rel_hi] = jump_range(site, place.filler);
  if (rel < rel_lo || rel > rel_hi) {
    *why = "the trampoline is out of the jump's reach";
    return std::nullopt;
  }
  t.filler = place.filler;
  t.site_bytes.assign(site.length, static_cast<char>(place.filler));
  t.site_bytes[0] = static_cast<char>(0xe9);
  put32(t.site_bytes, 1, static_cast<int32_t>(rel));
  for (size_t i = 1; i < site.insns.size(); i++)
    t.interior.push_back({site.ip + site.insns[i].offset, copies[i]});
  return t;
}

std::string patch_data(const Regs& target, uint64_t budget, const RepString* rep) {
  uint64_t w[19] = {};
  for (int i = 0; i < 15; i++) w[i] = gpr(target, kGprs[i]);
  if (rep) {  // slots 4 and 5: rsi and rdi (kGprs), as the rep compare computes them
    uint64_t span = target.raw.rcx << log2_size(rep->elem_size);
    if (target.raw.eflags & 0x400) span = 0 - span;
    if (rep->src) w[4] = target.raw.rsi + span;
    if (rep->dst) w[5] = target.raw.rdi + span;
  }
  w[kRspSlot] = target.raw.rsp;
  w[kFlagsSlot] = lahf_seto(target.raw.eflags);
  w[kPatchPassesOffset / 8] = 0;
  w[kPatchBudgetOffset / 8] = budget;
  return std::string(reinterpret_cast<const char*>(w), sizeof w);
}

#else  // arm64: the stub comes from point_patch_aarch64.cc

const std::vector<uint8_t> kPatchFillers = {0xcc};  // no instruction starts inside a `b`

std::optional<std::pair<uint64_t, uint64_t>> jump_entries(const PatchSite& site, uint8_t) {
  // A margin within the `b`'s reach, for branches the relocated copy makes.
  constexpr int64_t kReach = a64::kBranchReach - (int64_t{1} << 20);
  const int64_t ip = static_cast<int64_t>(site.ip);
  return std::pair{static_cast<uint64_t>(std::max<int64_t>(0, ip - kReach)),
                   static_cast<uint64_t>(ip + kReach)};
}

std::optional<PatchSite> plan_patch_site(const std::string& code, uint64_t ip, std::string* why,
                                         bool syscall_first) {
  if (syscall_first) {
    *why = "the replay agent's sites are x86_64 only";
    return std::nullopt;
  }
  auto a = a64::plan_site(code, ip, why);
  if (!a) return std::nullopt;
  PatchSite s;
  s.ip = ip;
  s.length = 4;
  s.arm = *a;
  return s;
}

uint64_t differing_registers(const Regs& a, const Regs& b) {
  uint64_t mask = 0;
#if defined(__aarch64__)
  for (int n = 0; n < 31; n++)
    if (a.raw.regs[n] != b.raw.regs[n]) mask |= uint64_t{1} << n;
#else
  (void)a, (void)b;
#endif
  return mask;
}

std::optional<Trampoline> build_trampoline(const PatchSite& site, const PatchPlace& place,
                                           std::string* why,
                                           const std::vector<DigestWindow>& windows,
                                           uint64_t compare_first) {
  Trampoline t;
  t.data = place.map + 2 * 4096;
  std::vector<a64::Window> checked;
  for (const DigestWindow& w : windows) checked.push_back({w.start, w.words, w.sum});
  auto stub = a64::build_stub(site.arm, place.entry, t.data, why, checked, compare_first);
  if (!stub) return std::nullopt;
  if (place.entry + stub->code.size() > t.data) {
    *why = "the stub does not fit its pages";
    return std::nullopt;
  }
  t.site_bytes = stub->site_word;
  t.code = stub->code;
  t.hit = stub->hit, t.forced = stub->forced, t.body = stub->body;
  t.filler = place.filler;
  return t;
}

void set_rep_compare(PatchSite&, const RepString&, const Regs&) {}  // no rep strings on arm64
uint32_t relocated_size(const PatchSite::Insn& in) { return in.bytes.size(); }

std::string patch_data(const Regs& target, uint64_t budget, const RepString*) {
#if defined(__aarch64__)
  uint64_t x[31];
  for (int i = 0; i < 31; i++) x[i] = target.raw.regs[i];
  return a64::stub_data(x, target.raw.sp, target.raw.pstate, budget);
#else
  (void)target, (void)budget;
  return {};
#endif
}

std::optional<std::string> relocate_tail(const PatchSite&, size_t, uint64_t, uint64_t,
                                         std::vector<uint64_t>*, std::string* why) {
  *why = "the replay agent's relocation is x86_64 only";
  return std::nullopt;
}

#endif

namespace {

std::optional<PatchPlace> place_with(const PatchSite& site, uint8_t filler,
                                     const std::vector<std::pair<uint64_t, uint64_t>>& gaps) {
  constexpr uint64_t kPage = 4096, kMargin = 1 << 20, kMinAddr = 1 << 20;
  const auto range = jump_entries(site, filler);
  if (!range) return std::nullopt;
  const auto [lo, hi] = *range;
  auto dist = [&](uint64_t e) { return e > site.ip ? e - site.ip : site.ip - e; };
  std::optional<PatchPlace> best;
  for (auto [start, end] : gaps) {
    // Keep a margin to the neighbours (a stack below which nothing may be mapped).
    start = (std::max(start, kMinAddr) + kMargin + kPage - 1) & ~(kPage - 1);
    if (end < start + kMargin + kPatchMapBytes) continue;
    uint64_t last = (end - kMargin - kPatchMapBytes) & ~(kPage - 1);
    // The mapping's first page must hold an entry in [lo, hi].
    uint64_t m_lo = std::max(start, lo & ~(kPage - 1)), m_hi = std::min(last, hi & ~(kPage - 1));
    if (m_lo > m_hi) continue;
    uint64_t m = std::clamp(site.ip & ~(kPage - 1), m_lo, m_hi);  // nearest to the site
    uint64_t entry = std::max(m, lo);
    if (entry > hi || entry >= m + kPage) continue;
    if (!best || dist(entry) < dist(best->entry)) best = PatchPlace{m, entry, filler};
  }
  return best;
}

}  // namespace

std::optional<PatchPlace> place_trampoline(const PatchSite& site,
                                           const std::vector<std::pair<uint64_t, uint64_t>>& gaps) {
  for (uint8_t filler : kPatchFillers) {
    if (auto p = place_with(site, filler, gaps)) return p;
    if (site.fixed_from >= 4) break;  // no fixed byte: the filler changes nothing
  }
  return std::nullopt;
}

}  // namespace rp
