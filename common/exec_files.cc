#include "exec_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <llvm/Object/ELF.h>

#include "tracee_mem.h"

namespace rp {
namespace {

bool read_file(const std::string& path, std::string& out, int& mode) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  // Replay gives stored files owner permissions only (replay_file_mode); a
  // reader refuses setuid/setgid/sticky and group/world-writable bits.
  mode = static_cast<int>(st.st_mode & 0755);
  return true;
}

}  // namespace

std::string stored_path(const std::string& abs) {
  std::string p = std::filesystem::path(abs).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

bool is_fd_exec_name(const std::string& name) { return name.rfind("/dev/fd/", 0) == 0; }

std::string exec_name(pid_t tid) {
  std::ifstream auxv("/proc/" + std::to_string(tid) + "/auxv", std::ios::binary);
  constexpr uint64_t kAtNull = 0, kAtExecfn = 31;  // <elf.h> clashes with LLVM's ELF.h
  uint64_t kv[2];
  while (auxv.read(reinterpret_cast<char*>(kv), sizeof kv) && kv[0] != kAtNull)
    if (kv[0] == kAtExecfn) return read_cstring(tid, kv[1]);
  return "";
}

std::string elf_interpreter(const std::string& image) {
  auto elf = llvm::object::ELF64LEFile::create(llvm::StringRef(image.data(), image.size()));
  if (!elf) {
    llvm::consumeError(elf.takeError());
    return "";
  }
  auto phdrs = elf->program_headers();
  if (!phdrs) {
    llvm::consumeError(phdrs.takeError());
    return "";
  }
  for (const auto& ph : *phdrs) {
    if (ph.p_type != llvm::ELF::PT_INTERP) continue;
    if (ph.p_offset + ph.p_filesz > image.size() || ph.p_filesz == 0) return "";
    std::string s = image.substr(ph.p_offset, ph.p_filesz);
    return s.substr(0, s.find('\0'));
  }
  return "";
}

std::vector<ExecFile> exec_files(pid_t tid, const std::string& path, const std::string& cwd) {
  std::vector<ExecFile> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) -> const ExecFile* {
    if (p.empty()) return nullptr;
    std::string named = p[0] == '/' ? p : cwd + "/" + p;  // what the kernel opened
    std::string abs = stored_path(named);
    if (!seen.insert(abs).second) return nullptr;
    ExecFile f;
    f.path = abs;
    // "/dev/fd/N" would name one of rp's own descriptors, "/proc/self/exe"
    // rp itself: read the program the kernel actually loaded instead.
    bool own = is_fd_exec_name(abs) || abs.rfind("/proc/self/", 0) == 0 ||
               abs.rfind("/proc/thread-self/", 0) == 0;
    // Else the file as the program sees it: through /proc/PID/root, in its
    // mount namespace and under its root (a tmpfs it mounted, a chroot).
    const std::string proc = "/proc/" + std::to_string(tid);
    std::string source = own ? proc + "/exe" : proc + "/root" + (named[0] == '/' ? "" : "/") + named;
    if (!read_file(source, f.bytes, f.mode)) return nullptr;
    out.push_back(std::move(f));
    return &out.back();
  };
  // The program as named (a script or an ELF), then what the kernel loads
  // for it: a #! interpreter (one level, as the kernel allows a few), the ELF
  // interpreter.
  std::string prog = path;
  for (int depth = 0; depth < 4 && !prog.empty(); depth++) {
    const ExecFile* f = add(prog);
    if (!f) break;
    if (f->bytes.rfind("#!", 0) == 0) {
      std::string line = f->bytes.substr(2, f->bytes.find('\n') - 2);
      size_t b = line.find_first_not_of(" \t");
      size_t e = line.find_first_of(" \t", b);
      prog = b == std::string::npos ? "" : line.substr(b, e == std::string::npos ? e : e - b);
      continue;
    }
    std::string interp = elf_interpreter(f->bytes);
    if (!interp.empty()) add(interp);
    break;
  }
  return out;
}

}  // namespace rp
