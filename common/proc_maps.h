// /proc/PID/maps, parsed in one place: snapshots (record/take_snapshot.cc),
// the restore of one (replay/restore.cc), the vDSO's place (common/vdso.cc),
// free address ranges (replay/point_search.cc), SysV segments
// (common/shm_segment.cc), gdb's breakpoints (replay/gdb_points.cc) and the
// modules rp dump -k reports (inspect/stack_modules.cc) all read it here.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rp {

// One line: "start-end perms offset major:minor inode   path".
struct ProcMap {
  uint64_t start = 0, end = 0;
  std::string perms = "---p";  // four letters as the kernel shows them: "r-xp", "rw-s"
  uint64_t offset = 0;
  unsigned dev_major = 0, dev_minor = 0;
  uint64_t inode = 0;
  // Everything after the inode's padding, as the kernel shows it: a file's
  // path (spaces kept, " (deleted)" kept at the end of a removed file's, a
  // newline shown as "\012"), "[heap]", "[stack]", "[vdso]", "[vvar]"...;
  // empty for anonymous memory. A path's own leading spaces cannot be told
  // from the padding and are lost.
  std::string path;

  uint64_t size() const { return end - start; }
  int prot() const;  // PROT_READ | PROT_WRITE | PROT_EXEC bits of perms
  bool shared() const { return perms[3] == 's'; }
};

// One line of a maps file; nullopt if it is not one.
std::optional<ProcMap> parse_maps_line(std::string_view line);

// The mappings in a maps file's text, in order. A line that is not a mapping
// is left out; the first such line is put in *bad_line when it is given.
std::vector<ProcMap> parse_maps(std::string_view text, std::optional<std::string>* bad_line = nullptr);

// /proc/PID/maps's text; empty if it cannot be read (the process is gone).
std::string read_maps_text(pid_t pid);
// parse_maps of it.
std::vector<ProcMap> read_proc_maps(pid_t pid, std::optional<std::string>* bad_line = nullptr);

}  // namespace rp
