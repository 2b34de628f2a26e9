// rp dump -k: telling libdwfl which files a replayed process has mapped
// where, and opening them without leaving the replay's root.
#pragma once
#include <elfutils/libdwfl.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "unique_fd.h"

namespace rp {

class TraceReader;

// The root directory of the process being unwound. /proc/PID/maps names a
// file by its path in the replay's mount namespace (the private root's
// directory, already removed here, possibly re-created by someone else), so
// module files are opened beneath the process's own root instead, confined
// to it (RESOLVE_IN_ROOT): nothing outside the replay's sandbox is read.
struct ProcessRoot {
  pid_t pid = 0;
  unique_fd fd;        // /proc/PID/root
  std::string prefix;  // its path as maps shows it ("" for the machine's /)
};

// While one lives, libdwfl's callbacks (kModuleCallbacks) open files beneath `root`.
class RootScope {
 public:
  explicit RootScope(const ProcessRoot* root);
  ~RootScope();
  RootScope(const RootScope&) = delete;
  RootScope& operator=(const RootScope&) = delete;
};

extern const Dwfl_Callbacks kModuleCallbacks;

// A path as maps shows it, less the root's prefix: the path the program knows.
std::string inside_root(const std::string& maps_path, const std::string& prefix);
std::string hex_addr(uint64_t v);

// The files of the libraries, from the trace's mappings table (the file each
// mmap mapped): replay maps them as memory, so only the trace can name them.
class LibraryNames {
 public:
  explicit LibraryNames(TraceReader& trace);
  pid_t tgid_of(pid_t rec_tid) const;
  // The file the process mapped at addr (offset 0) last before event seq; "" if none.
  std::string at(pid_t rec_tgid, uint64_t addr, uint64_t seq) const;

 private:
  static constexpr pid_t kAnyProcess = 0;  // the snapshot's mappings (seq 0)
  std::string mapped_by(pid_t rec_tgid, uint64_t addr, uint64_t seq) const;
  std::map<pid_t, pid_t> tgid_;
  std::map<pid_t, pid_t> parent_;  // process -> its parent process
  std::map<std::pair<pid_t, uint64_t>, std::map<uint64_t, std::string>> at_;
};

// Where the modules of the process being reported are named from.
struct NameSource {
  const LibraryNames& names;
  pid_t rec_tgid;
  uint64_t seq;
};

// Reports the process's modules to libdwfl from its maps: the files the
// kernel mapped (the program, its ELF interpreter) by path; the vdso; and
// each replayed-memory mapping that starts with an ELF header (a library),
// with the replayed-memory mappings right after it (its other segments and
// bss), as an image libdwfl reads from memory.
void report_modules(Dwfl* dwfl, pid_t pid, const std::string& maps, const NameSource& src);

}  // namespace rp
