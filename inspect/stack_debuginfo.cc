#include "inspect/stack_debuginfo.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <libelf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "error.h"
#include "inspect/debug_paths.h"

namespace rp {
namespace {

constexpr const char* kDefaultDir = "/usr/lib/debug";

thread_local const DebugDirs* g_dirs = nullptr;

// The build id of the ELF file `fd`, as bytes ("" if it has none).
std::string build_id_of(int fd) {
  elf_version(EV_CURRENT);
  std::unique_ptr<Elf, decltype(&elf_end)> elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr), &elf_end);
  const void* id = nullptr;
  ssize_t n = elf ? dwelf_elf_gnu_build_id(elf.get(), &id) : -1;
  return n > 0 ? std::string(static_cast<const char*>(id), static_cast<size_t>(n)) : "";
}

std::string module_build_id(Dwfl_Module* mod) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int n = dwfl_module_build_id(mod, &bits, &vaddr);
  return n > 0 ? std::string(reinterpret_cast<const char*>(bits), static_cast<size_t>(n)) : "";
}

}  // namespace

DebugDirs::DebugDirs(const std::vector<std::string>& dirs) : verbose_(getenv("RP_DEBUG")) {
  bool given = !dirs.empty();
  for (const std::string& path : given ? dirs : std::vector<std::string>{kDefaultDir}) {
    unique_fd fd(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd && given) throw Error("dump -k: --debug-dir " + path + ": " + strerror(errno));
    if (fd) dirs_.push_back({path, std::move(fd)});
  }
}

int DebugDirs::find(Dwfl_Module* mod, const char* file_name, const char* debuglink,
                    char** found) const {
  std::string id = module_build_id(mod);
  if (id.empty()) return -1;  // nothing to check a candidate against
  auto by_id = build_id_debug_path(reinterpret_cast<const unsigned char*>(id.data()), id.size());
  std::optional<std::string> by_link;
  if (debuglink && file_name) by_link = debuglink_debug_path(file_name, debuglink);
  for (const Dir& d : dirs_)
    for (const auto& rel : {by_id, by_link})
      if (rel)
        if (int fd = open_checked(mod, d, *rel, found); fd >= 0) return fd;
  return -1;
}

int DebugDirs::open_checked(Dwfl_Module* mod, const Dir& d, const std::string& rel,
                            char** found) const {
  int fd = open_regular_beneath(d.fd.get(), rel, debug_dir_resolve());
  if (fd < 0) return -1;
  std::string path = d.path + "/" + rel;
  if (build_id_of(fd) != module_build_id(mod)) {
    if (verbose_)
      std::cerr << "rp dump -k: " << path << ": not the build id of "
                << dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                    nullptr)
                << ", ignored\n";
    close(fd);
    return -1;
  }
  *found = strdup(path.c_str());
  return fd;
}

DebugDirsScope::DebugDirsScope(const DebugDirs* dirs) { g_dirs = dirs; }
DebugDirsScope::~DebugDirsScope() { g_dirs = nullptr; }

int find_separate_debuginfo(Dwfl_Module* mod, void**, const char*, Dwarf_Addr,
                            const char* file_name, const char* debuglink, GElf_Word,
                            char** debuginfo_file_name) {
  return g_dirs ? g_dirs->find(mod, file_name, debuglink, debuginfo_file_name) : -1;
}

}  // namespace rp
