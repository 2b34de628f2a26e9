#include "vdso.h"

#include <linux/auxvec.h>  // not <elf.h>: its macros clash with LLVM's ELF enums
#include <sys/syscall.h>

#include <cerrno>
#include <fstream>
#include <map>

#include <llvm/Object/ELF.h>

#include "arch.h"
#include "proc_maps.h"
#include "tracee_mem.h"

namespace rp {
namespace {

constexpr int64_t kRefuse = -1;  // stub returns -ENOSYS instead of a syscall

struct Entry {
  const char* name;
  int64_t nr;
};

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

#if defined(__x86_64__)
constexpr uint16_t kMachine = llvm::ELF::EM_X86_64;
// The kernel links each entry under two names (__vdso_X and the weak X); libc
// looks up the first, other runtimes may use either.
constexpr Entry kEntries[] = {
    {"__vdso_clock_gettime", SYS_clock_gettime}, {"clock_gettime", SYS_clock_gettime},
    {"__vdso_gettimeofday", SYS_gettimeofday},   {"gettimeofday", SYS_gettimeofday},
    {"__vdso_time", SYS_time},                   {"time", SYS_time},
    {"__vdso_getcpu", SYS_getcpu},               {"getcpu", SYS_getcpu},
    {"__vdso_clock_getres", SYS_clock_getres},   {"clock_getres", SYS_clock_getres},
    {"__vdso_getrandom", kRefuse},               {"getrandom", kRefuse},
};

// endbr64 first: harmless without CET, and keeps the entry a valid indirect
// branch target should user-space IBT ever be enforced.
std::string stub(int64_t nr) {
  std::string endbr("\xf3\x0f\x1e\xfa", 4);
  if (nr == kRefuse)  // mov rax, -ENOSYS (sign-extended imm32); ret
    return endbr + std::string("\x48\xc7\xc0", 3) + le32(static_cast<uint32_t>(-ENOSYS)) + "\xc3";
  // mov eax, nr; syscall; ret. The vDSO functions take their arguments in the
  // registers the syscall reads (rdi, rsi, rdx), and rcx/r11, which syscall
  // clobbers, are caller-saved.
  return endbr + "\xb8" + le32(static_cast<uint32_t>(nr)) + std::string("\x0f\x05\xc3", 3);
}
#elif defined(__aarch64__)
// Untested: written from the A64 encodings, no arm64 machine available.
constexpr uint16_t kMachine = llvm::ELF::EM_AARCH64;
constexpr Entry kEntries[] = {
    {"__kernel_clock_gettime", SYS_clock_gettime},
    {"__kernel_gettimeofday", SYS_gettimeofday},
    {"__kernel_clock_getres", SYS_clock_getres},
    {"__kernel_getrandom", kRefuse},
};

std::string stub(int64_t nr) {
  std::string out = le32(0xd503245f);  // bti c: a valid target under BTI
  if (nr == kRefuse) {
    out += le32(0x92800000u | ((ENOSYS - 1) << 5));  // movn x0, #(ENOSYS-1): x0 = -ENOSYS
  } else {
    out += le32(0xd2800008u | (static_cast<uint32_t>(nr) << 5));  // movz x8, #nr
    out += le32(0xd4000001u);                                     // svc #0
  }
  return out + le32(0xd65f03c0u);  // ret
}
#endif

const Entry* wanted(llvm::StringRef name) {
  for (const Entry& e : kEntries)
    if (name == e.name) return &e;
  return nullptr;
}

}  // namespace

std::optional<std::vector<VdsoPatch>> plan_vdso_patches(std::string_view image,
                                                        std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<std::vector<VdsoPatch>> {
    if (error) *error = "vDSO: " + why;
    return std::nullopt;
  };
  // ELFFile rather than ELFObjectFile: the latter's generic object machinery
  // links in LLVM's IR and bitcode readers (+6 MB) for nothing.
  using Elf = llvm::object::ELFFile<llvm::object::ELF64LE>;
  if (image.substr(0, 4) != "\x7f" "ELF") return fail("no ELF header");
  auto elf = Elf::create(llvm::StringRef(image.data(), image.size()));
  if (!elf) return fail(llvm::toString(elf.takeError()));
  const auto& ehdr = elf->getHeader();
  if (ehdr.e_ident[llvm::ELF::EI_CLASS] != llvm::ELF::ELFCLASS64 ||
      ehdr.e_ident[llvm::ELF::EI_DATA] != llvm::ELF::ELFDATA2LSB || ehdr.e_machine != kMachine)
    return fail(std::string("not a 64-bit ") + kArchName + " image");
  auto phdrs = elf->program_headers();
  if (!phdrs) return fail(llvm::toString(phdrs.takeError()));
  auto sections = elf->sections();
  if (!sections) return fail(llvm::toString(sections.takeError()));
  const Elf::Elf_Shdr* dynsym = nullptr;
  for (const auto& sec : *sections)
    if (sec.sh_type == llvm::ELF::SHT_DYNSYM) dynsym = &sec;
  if (!dynsym) return fail("no dynamic symbol table");
  auto syms = elf->symbols(dynsym);
  auto strtab = elf->getStringTableForSymtab(*dynsym);
  if (!syms) return fail(llvm::toString(syms.takeError()));
  if (!strtab) return fail(llvm::toString(strtab.takeError()));

  std::map<uint64_t, VdsoPatch> by_offset;
  std::map<uint64_t, uint64_t> room;  // bytes the entry's function occupies
  for (const auto& sym : *syms) {
    auto name = sym.getName(*strtab);
    if (!name) return fail(llvm::toString(name.takeError()));
    const Entry* entry = wanted(*name);
    if (!entry || sym.getType() != llvm::ELF::STT_FUNC || !sym.isDefined()) continue;
    // Symbol values are link-time addresses; the mapping follows the file.
    uint64_t value = sym.st_value;
    std::optional<uint64_t> offset;
    for (const auto& ph : *phdrs)
      if (ph.p_type == llvm::ELF::PT_LOAD && value >= ph.p_vaddr &&
          value < ph.p_vaddr + ph.p_filesz)
        offset = value - ph.p_vaddr + ph.p_offset;
    if (!offset) return fail(name->str() + " lies outside the loaded image");
    std::string bytes = stub(entry->nr);
    VdsoPatch& p = by_offset[*offset];
    if (!p.bytes.empty() && p.bytes != bytes)
      return fail(name->str() + " shares its entry with a different function");
    p.offset = *offset;
    p.bytes = bytes;
    p.names.push_back(name->str());
    room[*offset] = std::max<uint64_t>(room[*offset], sym.st_size);
  }
  std::vector<VdsoPatch> out;
  for (auto& [offset, p] : by_offset) {
    if (room[offset] < p.bytes.size() || offset + p.bytes.size() > image.size())
      return fail(p.names[0] + " is too small for its " + std::to_string(p.bytes.size()) +
                  "-byte stub");
    out.push_back(std::move(p));
  }
  if (out.empty()) return fail("none of the clock functions found");
  return out;
}

std::optional<VdsoRange> find_vdso(pid_t tid, std::string* error) {
  std::string proc = "/proc/" + std::to_string(tid);
  std::ifstream auxv(proc + "/auxv", std::ios::binary);
  uint64_t kv[2], ehdr = 0;
  while (auxv.read(reinterpret_cast<char*>(kv), sizeof kv) && kv[0] != AT_NULL)
    if (kv[0] == AT_SYSINFO_EHDR) ehdr = kv[1];
  if (!ehdr) return std::nullopt;  // e.g. booted with vdso=0
  for (const ProcMap& m : read_proc_maps(tid)) {
    if (m.path != "[vdso]") continue;
    if (m.start != ehdr || m.end <= m.start) break;
    return VdsoRange{m.start, m.size()};
  }
  if (error) *error = "vDSO: AT_SYSINFO_EHDR names no [vdso] mapping in " + proc + "/maps";
  return std::nullopt;
}

bool patch_vdso(pid_t tid, std::string* error) {
  std::string why;
  auto range = find_vdso(tid, &why);
  if (!range) {
    if (error) *error = why;
    return why.empty();
  }
  std::string image = read_mem(tid, range->addr, range->size);
  if (image.size() != range->size) {
    if (error) *error = "vDSO: cannot read it from thread " + std::to_string(tid);
    return false;
  }
  auto patches = plan_vdso_patches(image, error);
  if (!patches) return false;
  for (const VdsoPatch& p : *patches) {
    if (!write_mem(tid, range->addr + p.offset, p.bytes)) {
      if (error) *error = "vDSO: cannot write the stub of " + p.names[0];
      return false;
    }
  }
  return true;
}

}  // namespace rp
