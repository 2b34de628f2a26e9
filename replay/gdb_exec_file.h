// The program file gdb should read symbols from for a replayed process: the
// ELF image its last exec really runs (a #! script's interpreter, not the
// script). The replay may run in a private root holding the files stored in
// the trace (common/launch.h); when this machine's file at that path is not
// the same, gdb gets a copy of the stored one, in a directory that lives as
// long as the session. (Not /proc/PID/root/...: gdb resolves that link away.)
#pragma once
#include <sys/types.h>

#include <map>
#include <string>

namespace rp {

class GdbExecFiles {
 public:
  GdbExecFiles() = default;
  GdbExecFiles(const GdbExecFiles&) = delete;
  GdbExecFiles& operator=(const GdbExecFiles&) = delete;
  ~GdbExecFiles();
  // Empty if the process is gone.
  std::string path_for(pid_t real_pid);

 private:
  std::string copy(const std::string& path, const std::string& bytes);
  std::string dir_;
  std::map<std::string, std::string> copies_;  // path in the replay -> copy here
};

}  // namespace rp
