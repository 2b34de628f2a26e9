// Where `rp record` writes its trace. The trace is built in a fresh file next
// to the target (same directory, O_EXCL, mode 0600) and renamed into place
// only once it is complete, so a failed recording leaves an existing file as
// it was. A target that is not a regular file (FIFO, device, directory,
// symlink) or that is one of the program's exec files is refused before
// anything is touched.
#pragma once
#include <string>
#include <vector>

namespace rp {

class TraceOutput {
 public:
  // `protect`: files the trace must not replace (the program, its
  // interpreters). `replace`: an existing regular file may be replaced
  // (explicit -o); otherwise the target must not exist when committing.
  // `share`: mode 0666 minus the umask instead of 0600.
  TraceOutput(std::string target, const std::vector<std::string>& protect, bool replace,
              bool share);
  ~TraceOutput();  // removes the temporary file unless committed
  TraceOutput(const TraceOutput&) = delete;
  TraceOutput& operator=(const TraceOutput&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& target() const { return target_; }
  std::string dir() const;  // where both files are
  // Re-checks the target and renames the finished trace onto it.
  void commit();

 private:
  void check_target() const;
  std::string target_, temp_;
  std::vector<std::string> protect_;
  bool replace_;
  bool committed_ = false;
};

// The files that make up a program at exec: the resolved program itself, a
// #! script's interpreter, the ELF interpreter (PT_INTERP).
std::vector<std::string> exec_file_paths(const std::string& program);

// rp-BASE-N.db in the current directory for the first N no entry has.
std::string pick_output_name(const std::string& prog);

}  // namespace rp
