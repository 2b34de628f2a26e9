// rp dump -k: debug info for the libraries from the host's debug directories
// (default /usr/lib/debug, where Debian's -dbgsym packages and libc6-dbg put
// it): a library mapped by the replay has its dynamic symbols and CFI only.
#pragma once
#include <elfutils/libdwfl.h>

#include <string>
#include <vector>

#include "unique_fd.h"

namespace rp {

class DebugDirs {
 public:
  // The default directory is skipped when it does not exist; a directory the
  // user named must exist (Error otherwise).
  explicit DebugDirs(const std::vector<std::string>& dirs);
  // A descriptor of the separate debug file of `mod` (by its build id, then by
  // its debuglink next to `file_name`), whose build id is the module's; -1 if none.
  int find(Dwfl_Module* mod, const char* file_name, const char* debuglink, char** found) const;

 private:
  struct Dir {
    std::string path;
    unique_fd fd;
  };
  int open_checked(Dwfl_Module* mod, const Dir& d, const std::string& rel, char** found) const;
  std::vector<Dir> dirs_;
  bool verbose_;  // RP_DEBUG: say why a candidate was ignored
};

// While one lives, libdwfl's find_debuginfo callback (find_separate_debuginfo)
// looks in `dirs`; without one it finds nothing.
class DebugDirsScope {
 public:
  explicit DebugDirsScope(const DebugDirs* dirs);
  ~DebugDirsScope();
  DebugDirsScope(const DebugDirsScope&) = delete;
  DebugDirsScope& operator=(const DebugDirsScope&) = delete;
};

int find_separate_debuginfo(Dwfl_Module* mod, void** userdata, const char* modname,
                            Dwarf_Addr base, const char* file_name, const char* debuglink,
                            GElf_Word crc, char** debuginfo_file_name);

}  // namespace rp
