#include "elf_code.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "unique_fd.h"

namespace rp {
namespace {

bool read_at(int fd, void* buf, size_t n, uint64_t off) {
  return pread(fd, buf, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n);
}

// The file mapped at m: through /proc/TID/map_files (the very file, where rp
// may open it), else by its path if that is still the same inode.
unique_fd open_mapped_file(pid_t tid, const ProcMap& m) {
  char name[96];
  snprintf(name, sizeof name, "/proc/%d/map_files/%llx-%llx", tid,
           static_cast<unsigned long long>(m.start), static_cast<unsigned long long>(m.end));
  unique_fd fd(open(name, O_RDONLY | O_CLOEXEC));
  if (!fd && !m.path.empty() && m.path[0] == '/') fd = unique_fd(open(m.path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd || fstat(fd.get(), &st) != 0 || st.st_ino != m.inode ||
      major(st.st_dev) != m.dev_major || minor(st.st_dev) != m.dev_minor)
    return unique_fd();
  return fd;
}

}  // namespace

std::optional<std::vector<CodeRange>> elf_code_parts(pid_t tid, const ProcMap& m) {
  unique_fd fd = open_mapped_file(tid, m);
  if (!fd) return std::nullopt;
  Elf64_Ehdr eh;
  if (!read_at(fd.get(), &eh, sizeof eh, 0) || std::string(reinterpret_cast<char*>(eh.e_ident), 4) != ELFMAG ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
      eh.e_shnum == 0 || eh.e_shoff == 0)
    return std::nullopt;
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  if (!read_at(fd.get(), sh.data(), sh.size() * sizeof(Elf64_Shdr), eh.e_shoff)) return std::nullopt;
  std::vector<CodeRange> out;
  const uint64_t file_lo = m.offset, file_hi = m.offset + m.size();
  for (const Elf64_Shdr& s : sh) {
    if (!(s.sh_flags & SHF_ALLOC) || !(s.sh_flags & SHF_EXECINSTR) || s.sh_type == SHT_NOBITS)
      continue;
    if (s.sh_offset > UINT64_MAX - s.sh_size) return std::nullopt;  // not a real table
    const uint64_t lo = std::max(file_lo, s.sh_offset);
    const uint64_t hi = std::min(file_hi, s.sh_offset + s.sh_size);
    if (lo < hi) out.push_back(CodeRange{m.start + (lo - file_lo), hi - lo});
  }
  std::sort(out.begin(), out.end(), [](const CodeRange& a, const CodeRange& b) { return a.addr < b.addr; });
  return out;
}

}  // namespace rp
