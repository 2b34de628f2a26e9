#include "gdb_exec_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>

#include "error.h"

namespace rp {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

GdbExecFiles::~GdbExecFiles() {
  for (const auto& [path, copy] : copies_) {
    unlink(copy.c_str());
    rmdir(copy.substr(0, copy.rfind('/')).c_str());
  }
  if (!dir_.empty()) rmdir(dir_.c_str());
}

std::string GdbExecFiles::path_for(pid_t real_pid) {
  std::string proc = "/proc/" + std::to_string(real_pid);
  char buf[4096];
  ssize_t n = readlink((proc + "/exe").c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));  // in the process's root
  if (auto it = copies_.find(path); it != copies_.end()) return it->second;
  auto running = slurp(proc + "/exe");
  if (!running) return path;
  auto here = slurp(path);
  if (here && *here == *running) return path;
  return copy(path, *running);
}

// DIR/N/NAME: gdb shows the program's own name.
std::string GdbExecFiles::copy(const std::string& path, const std::string& bytes) {
  if (dir_.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/rp-gdb-XXXXXX";
    if (!mkdtemp(templ.data())) throw_errno("mkdtemp " + templ);
    dir_ = templ;
  }
  std::string sub = dir_ + "/" + std::to_string(copies_.size());
  if (mkdir(sub.c_str(), 0700) != 0) throw_errno("mkdir " + sub);
  std::string out = sub + path.substr(path.rfind('/'));
  std::ofstream f(out, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f.flush()) throw Error("cannot write " + out);
  copies_[path] = out;
  return out;
}

}  // namespace rp
