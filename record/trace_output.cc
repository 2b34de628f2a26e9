#include "trace_output.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "error.h"
#include "exec_files.h"

namespace rp {
namespace {

const char* kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

std::string dir_of(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string base_of(const std::string& p) { return p.substr(p.rfind('/') + 1); }

std::string read_head(const std::string& path, size_t n) {
  std::ifstream f(path, std::ios::binary);
  std::string s(n, '\0');
  f.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<size_t>(f.gcount()));
  return s;
}

// "#!/bin/sh -e" -> "/bin/sh"
std::string shebang_interpreter(const std::string& path) {
  std::string head = read_head(path, 256);
  if (head.rfind("#!", 0) != 0) return "";
  size_t b = head.find_first_not_of(" \t", 2);
  if (b == std::string::npos) return "";
  size_t e = head.find_first_of(" \t\n", b);
  return head.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::string elf_interp_of(const std::string& path) {
  if (read_head(path, 4) != "\x7f" "ELF") return "";
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return elf_interpreter(ss.str());
  } catch (const std::exception&) {
    return "";  // not our business here: exec will say what is wrong
  }
}

}  // namespace

std::vector<std::string> exec_file_paths(const std::string& program) {
  std::vector<std::string> out{program};
  std::string interp = shebang_interpreter(program);
  if (!interp.empty()) out.push_back(interp);
  std::string elf = elf_interp_of(interp.empty() ? program : interp);
  if (!elf.empty()) out.push_back(elf);
  return out;
}

std::string pick_output_name(const std::string& prog) {
  std::string base = base_of(prog);
  for (int i = 0;; i++) {
    std::string name = "rp-" + base + "-" + std::to_string(i) + ".db";
    struct stat st;
    if (lstat(name.c_str(), &st) != 0 && errno == ENOENT) return name;  // dangling links count
  }
}

TraceOutput::TraceOutput(std::string target, const std::vector<std::string>& protect,
                         bool replace, bool share)
    : target_(std::move(target)), protect_(protect), replace_(replace) {
  if (target_.empty() || target_.back() == '/')
    throw Error("cannot write the trace to '" + target_ + "': not a file name");
  check_target();
  std::string tmpl = dir_of(target_) + "/." + base_of(target_) + ".rp-XXXXXX";
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);  // O_EXCL, mode 0600
  if (fd < 0)
    throw Error("cannot create a file next to '" + target_ + "': " + strerror(errno));
  temp_ = tmpl;
  if (share) {
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
  }
  close(fd);
}

TraceOutput::~TraceOutput() {
  if (committed_ || temp_.empty()) return;
  unlink(temp_.c_str());
  unlink((temp_ + "-journal").c_str());  // the writer's, if it did not finish
}

void TraceOutput::check_target() const {
  struct stat st;
  if (lstat(target_.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error("cannot write the trace to '" + target_ + "': " + strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    throw Error("refusing to write the trace to '" + target_ + "': it is " + kind_of(st.st_mode));
  if (!replace_) throw Error("refusing to write the trace to '" + target_ + "': it exists");
  for (const auto& p : protect_) {
    struct stat ps;
    if (stat(p.c_str(), &ps) == 0 && ps.st_dev == st.st_dev && ps.st_ino == st.st_ino)
      throw Error("refusing to write the trace to '" + target_ + "': it is " + p +
                  ", which the recorded program runs");
  }
}

std::string TraceOutput::dir() const { return dir_of(temp_); }

void TraceOutput::commit() {
  // Keep the finished trace whatever happens: the run cannot be repeated.
  committed_ = true;
  try {
    check_target();  // it may have changed while the program ran
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (the trace is in " + temp_ + ")");
  }
  unsigned flags = replace_ ? 0 : RENAME_NOREPLACE;
  if (renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), flags) != 0)
    throw Error("cannot move the trace to '" + target_ + "': " + strerror(errno) +
                " (it is in " + temp_ + ")");
}

}  // namespace rp
