// The arm64 half of gdb_regs.h (replay/gdb_regs_x86_64.cc is the other): the
// registers of gdb's aarch64 core and fpu features, read and written through
// PTRACE_GETREGSET/SETREGSET NT_PRSTATUS (x0-x30, sp, pc, pstate) and
// NT_PRFPREG (v0-v31, fpsr, fpcr).
#if defined(__aarch64__)
#include "gdb_regs.h"

#include <sys/ptrace.h>
#include <sys/uio.h>

#include <asm/ptrace.h>  // user_pt_regs, user_fpsimd_state
#include <elf.h>         // NT_PRSTATUS, NT_PRFPREG

#include <cstring>

#include "gdb_regs_util.h"

namespace rp {
namespace {

// gdb's numbering (aarch64-tdep.h): x0-x30 0-30, sp 31, pc 32, cpsr 33,
// v0-v31 34-65, fpsr 66, fpcr 67. The 'g' packet follows it.
constexpr int kSp = 31, kPc = 32, kCpsr = 33, kV0 = 34, kFpsr = 66, kNumRegs = 68;

int reg_bits(int regno) {
  if (regno < kCpsr) return 64;
  if (regno >= kV0 && regno < kFpsr) return 128;
  return 32;  // cpsr, fpsr, fpcr
}

std::string reg_name(int regno) {
  if (regno < kSp) return "x" + std::to_string(regno);
  if (regno >= kV0 && regno < kFpsr) return "v" + std::to_string(regno - kV0);
  static const char* other[] = {"sp", "pc", "cpsr"};
  if (regno < kV0) return other[regno - kSp];
  return regno == kFpsr ? "fpsr" : "fpcr";
}

const char* reg_type(int regno) {
  if (regno == kSp) return "data_ptr";
  if (regno == kPc) return "code_ptr";
  if (regno == kCpsr) return "rp_cpsr";
  if (regno >= kV0 && regno < kFpsr) return "rp_vreg";
  return regno < kSp ? "int64" : "int";
}

// The lanes gdb shows a V register as (`p $v0.d.f`, `p $v0.s.u`, ...).
std::string vreg_type() {
  struct Lane {
    const char* name;
    int count;
    const char* f;  // float lane type, or null
    const char* u;
    const char* s;
  };
  const Lane lanes[] = {{"d", 2, "ieee_double", "uint64", "int64"},
                        {"s", 4, "ieee_single", "uint32", "int32"},
                        {"h", 8, nullptr, "uint16", "int16"},
                        {"b", 16, nullptr, "uint8", "int8"},
                        {"q", 1, nullptr, "uint128", "int128"}};
  std::string s, v = "<union id=\"rp_vreg\">";
  for (const Lane& l : lanes) {
    std::string u = std::string("<union id=\"rp_vn") + l.name + "\">";
    for (auto [suffix, type] : {std::pair{"f", l.f}, {"u", l.u}, {"s", l.s}}) {
      if (!type) continue;
      std::string id = std::string("rp_v") + l.name + suffix;
      s += "<vector id=\"" + id + "\" type=\"" + type + "\" count=\"" +
           std::to_string(l.count) + "\"/>";
      u += std::string("<field name=\"") + suffix + "\" type=\"" + id + "\"/>";
    }
    s += u + "</union>";
    v += std::string("<field name=\"") + l.name + "\" type=\"rp_vn" + l.name + "\"/>";
  }
  return s + v + "</union>";
}

std::string reg_xml(int regno) {
  std::string x = "<reg name=\"" + reg_name(regno) + "\" bitsize=\"" +
                  std::to_string(reg_bits(regno)) + "\" type=\"" + reg_type(regno) +
                  "\" regnum=\"" + std::to_string(regno) + "\"";
  if (regno >= kV0) x += " group=\"vector\"";
  return x + "/>";
}

template <typename T>
bool regset(__ptrace_request request, pid_t tid, int note, T& data) {
  iovec iov{&data, sizeof data};
  return ptrace(request, tid, note, &iov) == 0 &&
         iov.iov_len == sizeof data;
}

}  // namespace

std::string gdb_target_xml() {
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\"><architecture>aarch64</architecture>"
      "<osabi>GNU/Linux</osabi><feature name=\"org.gnu.gdb.aarch64.core\">" +
      flags_type("rp_cpsr", {{"SP", 0}, {"D", 9}, {"A", 8}, {"I", 7}, {"F", 6}, {"SS", 21},
                             {"IL", 20}, {"V", 28}, {"C", 29}, {"Z", 30}, {"N", 31}});
  for (int i = 0; i < kV0; i++) x += reg_xml(i);
  x += "</feature><feature name=\"org.gnu.gdb.aarch64.fpu\">" + vreg_type();
  for (int i = kV0; i < kNumRegs; i++) x += reg_xml(i);
  return x + "</feature></target>\n";
}

int gdb_reg_count() { return kNumRegs; }

std::optional<GdbRegSlot> gdb_reg_slot(int regno) {
  if (regno < 0 || regno >= kNumRegs) return std::nullopt;
  size_t off = 0;
  for (int i = 0; i < regno; i++) off += static_cast<size_t>(reg_bits(i) / 8);
  return GdbRegSlot{off, static_cast<size_t>(reg_bits(regno) / 8)};
}

std::optional<std::string> read_gdb_regs(pid_t tid) {
  user_pt_regs r{};
  user_fpsimd_state f{};
  // Either failing: the thread is not in a stop; gdb gets an error, not zeros.
  if (!regset(PTRACE_GETREGSET, tid, NT_PRSTATUS, r) ||
      !regset(PTRACE_GETREGSET, tid, NT_PRFPREG, f))
    return std::nullopt;
  std::string out;
  for (uint64_t v : r.regs) put(out, v, 8);
  for (uint64_t v : {r.sp, r.pc}) put(out, v, 8);
  put(out, r.pstate, 4);
  out.append(reinterpret_cast<const char*>(f.vregs), sizeof f.vregs);
  for (uint32_t v : {f.fpsr, f.fpcr}) put(out, v, 4);
  return out;
}

bool write_gdb_regs(pid_t tid, const std::string& in) {
  auto last = gdb_reg_slot(kNumRegs - 1);
  if (in.size() != last->offset + last->size) return false;
  user_pt_regs r{};
  user_fpsimd_state f{};
  // pstate's upper half and the reserved words are not in the packet: keep them.
  if (!regset(PTRACE_GETREGSET, tid, NT_PRSTATUS, r) ||
      !regset(PTRACE_GETREGSET, tid, NT_PRFPREG, f))
    return false;
  size_t at = 0;
  for (auto& v : r.regs) v = get(in, at, 8);
  r.sp = get(in, at, 8);
  r.pc = get(in, at, 8);
  r.pstate = (r.pstate & ~0xffffffffULL) | get(in, at, 4);
  std::memcpy(f.vregs, in.data() + at, sizeof f.vregs);
  at += sizeof f.vregs;
  f.fpsr = static_cast<uint32_t>(get(in, at, 4));
  f.fpcr = static_cast<uint32_t>(get(in, at, 4));
  return regset(PTRACE_SETREGSET, tid, NT_PRSTATUS, r) &&
         regset(PTRACE_SETREGSET, tid, NT_PRFPREG, f);
}

}  // namespace rp
#endif
