// The x86-64 half of gdb_regs.h (replay/gdb_regs_aarch64.cc is the other).
#if defined(__x86_64__)
#include "gdb_regs.h"

#include <sys/ptrace.h>
#include <sys/user.h>

#include <cstdint>
#include <cstring>

#include "gdb_regs_util.h"

namespace rp {
namespace {

enum Feature { kCore, kSse, kLinux, kSegments };

struct RegDef {
  const char* name;
  int bits;
  const char* type;
  Feature feature;
};

// Order = gdb's register numbers = the 'g' layout. gdb finds each register
// by name within its feature, so the names are fixed by gdb's i386 support.
constexpr RegDef kRegs[] = {
    {"rax", 64, "int64", kCore},      {"rbx", 64, "int64", kCore},
    {"rcx", 64, "int64", kCore},      {"rdx", 64, "int64", kCore},
    {"rsi", 64, "int64", kCore},      {"rdi", 64, "int64", kCore},
    {"rbp", 64, "data_ptr", kCore},   {"rsp", 64, "data_ptr", kCore},
    {"r8", 64, "int64", kCore},       {"r9", 64, "int64", kCore},
    {"r10", 64, "int64", kCore},      {"r11", 64, "int64", kCore},
    {"r12", 64, "int64", kCore},      {"r13", 64, "int64", kCore},
    {"r14", 64, "int64", kCore},      {"r15", 64, "int64", kCore},
    {"rip", 64, "code_ptr", kCore},   {"eflags", 32, "rp_eflags", kCore},
    {"cs", 32, "int32", kCore},       {"ss", 32, "int32", kCore},
    {"ds", 32, "int32", kCore},       {"es", 32, "int32", kCore},
    {"fs", 32, "int32", kCore},       {"gs", 32, "int32", kCore},
    {"st0", 80, "i387_ext", kCore},   {"st1", 80, "i387_ext", kCore},
    {"st2", 80, "i387_ext", kCore},   {"st3", 80, "i387_ext", kCore},
    {"st4", 80, "i387_ext", kCore},   {"st5", 80, "i387_ext", kCore},
    {"st6", 80, "i387_ext", kCore},   {"st7", 80, "i387_ext", kCore},
    {"fctrl", 32, "int", kCore},      {"fstat", 32, "int", kCore},
    {"ftag", 32, "int", kCore},       {"fiseg", 32, "int", kCore},
    {"fioff", 32, "int", kCore},      {"foseg", 32, "int", kCore},
    {"fooff", 32, "int", kCore},      {"fop", 32, "int", kCore},
    {"xmm0", 128, "rp_vec128", kSse}, {"xmm1", 128, "rp_vec128", kSse},
    {"xmm2", 128, "rp_vec128", kSse}, {"xmm3", 128, "rp_vec128", kSse},
    {"xmm4", 128, "rp_vec128", kSse}, {"xmm5", 128, "rp_vec128", kSse},
    {"xmm6", 128, "rp_vec128", kSse}, {"xmm7", 128, "rp_vec128", kSse},
    {"xmm8", 128, "rp_vec128", kSse}, {"xmm9", 128, "rp_vec128", kSse},
    {"xmm10", 128, "rp_vec128", kSse}, {"xmm11", 128, "rp_vec128", kSse},
    {"xmm12", 128, "rp_vec128", kSse}, {"xmm13", 128, "rp_vec128", kSse},
    {"xmm14", 128, "rp_vec128", kSse}, {"xmm15", 128, "rp_vec128", kSse},
    {"mxcsr", 32, "rp_mxcsr", kSse},  {"orig_rax", 64, "int", kLinux},
    {"fs_base", 64, "int", kSegments}, {"gs_base", 64, "int", kSegments},
};
constexpr int kNumRegs = sizeof kRegs / sizeof kRegs[0];

std::string feature_types(Feature f) {
  if (f == kCore)
    return flags_type("rp_eflags", {{"CF", 0}, {"PF", 2}, {"AF", 4}, {"ZF", 6},
                                    {"SF", 7}, {"TF", 8}, {"IF", 9}, {"DF", 10}, {"OF", 11},
                                    {"NT", 14}, {"RF", 16}, {"VM", 17}, {"AC", 18},
                                    {"VIF", 19}, {"VIP", 20}, {"ID", 21}});
  if (f != kSse) return "";
  std::string s;
  const char* lanes[][3] = {{"rp_v4f", "ieee_single", "4"}, {"rp_v2d", "ieee_double", "2"},
                            {"rp_v16i8", "int8", "16"},     {"rp_v8i16", "int16", "8"},
                            {"rp_v4i32", "int32", "4"},     {"rp_v2i64", "int64", "2"}};
  for (const auto& l : lanes)
    s += std::string("<vector id=\"") + l[0] + "\" type=\"" + l[1] + "\" count=\"" + l[2] +
         "\"/>";
  s += "<union id=\"rp_vec128\">";
  const char* fields[][2] = {{"v4_float", "rp_v4f"},   {"v2_double", "rp_v2d"},
                             {"v16_int8", "rp_v16i8"}, {"v8_int16", "rp_v8i16"},
                             {"v4_int32", "rp_v4i32"}, {"v2_int64", "rp_v2i64"},
                             {"uint128", "uint128"}};
  for (const auto& f2 : fields)
    s += std::string("<field name=\"") + f2[0] + "\" type=\"" + f2[1] + "\"/>";
  s += "</union>";
  return s + flags_type("rp_mxcsr", {{"IE", 0}, {"DE", 1}, {"ZE", 2}, {"OE", 3}, {"UE", 4},
                                     {"PE", 5}, {"DAZ", 6}, {"IM", 7}, {"DM", 8}, {"ZM", 9},
                                     {"OM", 10}, {"UM", 11}, {"PM", 12}, {"FZ", 15}});
}

// fxsave keeps one "valid" bit per physical x87 register; gdb wants the
// full two-bit tags, derived from each register's contents.
uint32_t full_tag(const user_fpregs_struct& f) {
  int top = (f.swd >> 11) & 7;
  uint32_t tag = 0;
  for (int phys = 0; phys < 8; phys++) {
    int t = 3;  // empty
    if (f.ftw & (1 << phys)) {
      const auto* p = reinterpret_cast<const uint8_t*>(f.st_space) + 16 * ((phys - top + 8) % 8);
      uint64_t mant;
      uint16_t se;
      std::memcpy(&mant, p, 8);
      std::memcpy(&se, p + 8, 2);
      int exp = se & 0x7fff;
      if (exp == 0x7fff)
        t = 2;  // special
      else if (exp == 0)
        t = mant == 0 ? 1 : 2;  // zero or denormal
      else
        t = (mant >> 63) ? 0 : 2;  // valid, or unnormal
    }
    tag |= static_cast<uint32_t>(t) << (2 * phys);
  }
  return tag;
}

}  // namespace

std::string gdb_target_xml() {
  static const char* names[] = {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
                                "org.gnu.gdb.i386.linux", "org.gnu.gdb.i386.segments"};
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
      "<osabi>GNU/Linux</osabi>";
  for (Feature f : {kCore, kSse, kLinux, kSegments}) {
    x += std::string("<feature name=\"") + names[f] + "\">" + feature_types(f);
    for (int i = 0; i < kNumRegs; i++) {
      if (kRegs[i].feature != f) continue;
      x += std::string("<reg name=\"") + kRegs[i].name + "\" bitsize=\"" +
           std::to_string(kRegs[i].bits) + "\" type=\"" + kRegs[i].type + "\" regnum=\"" +
           std::to_string(i) + "\"";
      if (f == kSse)
        x += " group=\"vector\"";
      else if (i >= 24 && i < 40)  // st0-7 and the x87 control registers
        x += " group=\"float\"";
      x += "/>";
    }
    x += "</feature>";
  }
  return x + "</target>\n";
}

int gdb_reg_count() { return kNumRegs; }

std::optional<GdbRegSlot> gdb_reg_slot(int regno) {
  if (regno < 0 || regno >= kNumRegs) return std::nullopt;
  size_t off = 0;
  for (int i = 0; i < regno; i++) off += static_cast<size_t>(kRegs[i].bits / 8);
  return GdbRegSlot{off, static_cast<size_t>(kRegs[regno].bits / 8)};
}

std::optional<std::string> read_gdb_regs(pid_t tid) {
  user_regs_struct r{};
  user_fpregs_struct f{};
  // Either failing: the thread is not in a stop; gdb gets an error, not zeros.
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &r) != 0) return std::nullopt;
  if (ptrace(PTRACE_GETFPREGS, tid, nullptr, &f) != 0) return std::nullopt;
  std::string out;
  for (auto v : {r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9, r.r10,
                 r.r11, r.r12, r.r13, r.r14, r.r15, r.rip})
    put(out, v, 8);
  for (auto v : {r.eflags, r.cs, r.ss, r.ds, r.es, r.fs, r.gs}) put(out, v, 4);
  for (int i = 0; i < 8; i++)
    out.append(reinterpret_cast<const char*>(f.st_space) + 16 * i, 10);
  // In 64-bit mode fxsave holds 64-bit instruction and operand pointers;
  // gdb shows their high halves as fiseg/foseg.
  for (uint64_t v : {uint64_t{f.cwd}, uint64_t{f.swd}, uint64_t{full_tag(f)},
                     uint64_t{f.rip >> 32}, uint64_t{f.rip & 0xffffffff},
                     uint64_t{f.rdp >> 32}, uint64_t{f.rdp & 0xffffffff}, uint64_t{f.fop}})
    put(out, v, 4);
  out.append(reinterpret_cast<const char*>(f.xmm_space), 256);
  put(out, f.mxcsr, 4);
  for (auto v : {r.orig_rax, r.fs_base, r.gs_base}) put(out, v, 8);
  return out;
}

bool write_gdb_regs(pid_t tid, const std::string& in) {
  auto size = gdb_reg_slot(kNumRegs - 1);
  if (in.size() != size->offset + size->size) return false;
  user_regs_struct r{};
  user_fpregs_struct f{};
  // The fields gdb does not send keep their values: both must be read.
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &r) != 0) return false;
  if (ptrace(PTRACE_GETFPREGS, tid, nullptr, &f) != 0) return false;
  size_t at = 0;
  for (auto* v : {&r.rax, &r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi, &r.rbp, &r.rsp, &r.r8, &r.r9,
                  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15, &r.rip})
    *v = get(in, at, 8);
  for (auto* v : {&r.eflags, &r.cs, &r.ss, &r.ds, &r.es, &r.fs, &r.gs}) *v = get(in, at, 4);
  for (int i = 0; i < 8; i++, at += 10)
    std::memcpy(reinterpret_cast<char*>(f.st_space) + 16 * i, in.data() + at, 10);
  f.cwd = static_cast<uint16_t>(get(in, at, 4));
  f.swd = static_cast<uint16_t>(get(in, at, 4));
  uint32_t tag = static_cast<uint32_t>(get(in, at, 4));
  f.ftw = 0;
  for (int phys = 0; phys < 8; phys++)
    if (((tag >> (2 * phys)) & 3) != 3) f.ftw |= static_cast<uint16_t>(1 << phys);
  uint64_t fiseg = get(in, at, 4), fioff = get(in, at, 4);
  uint64_t foseg = get(in, at, 4), fooff = get(in, at, 4);
  f.rip = fiseg << 32 | fioff;
  f.rdp = foseg << 32 | fooff;
  f.fop = static_cast<uint16_t>(get(in, at, 4));
  std::memcpy(f.xmm_space, in.data() + at, 256);
  at += 256;
  f.mxcsr = static_cast<uint32_t>(get(in, at, 4));
  r.orig_rax = get(in, at, 8);
  r.fs_base = get(in, at, 8);
  r.gs_base = get(in, at, 8);
  return ptrace(PTRACE_SETREGS, tid, nullptr, &r) == 0 &&
         ptrace(PTRACE_SETFPREGS, tid, nullptr, &f) == 0;
}

}  // namespace rp
#endif
