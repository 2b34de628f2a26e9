#include "exec_files.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include <llvm/Object/ELF.h>

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
  mode = static_cast<int>(st.st_mode & 07777);
  return true;
}

}  // namespace

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
    std::string abs = p.empty() || p[0] == '/' ? p : cwd + "/" + p;
    if (abs.empty() || !seen.insert(abs).second) return nullptr;
    ExecFile f;
    f.path = abs;
    if (!read_file(abs, f.bytes, f.mode)) return nullptr;
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
  (void)tid;
  return out;
}

}  // namespace rp
