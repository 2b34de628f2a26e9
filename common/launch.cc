#include "launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "error.h"

namespace rp {

static bool is_executable_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

std::string resolve_program(const std::string& arg0) {
  if (arg0.empty()) throw NotFound("no program given");
  if (arg0.find('/') != std::string::npos) {
    std::string p = arg0;
    if (p[0] != '/') {
      char cwd[4096];
      if (!getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
      p = std::string(cwd) + "/" + (p.rfind("./", 0) == 0 ? p.substr(2) : p);
    }
    if (access(p.c_str(), F_OK) != 0)
      throw NotFound("cannot run '" + arg0 + "': " + strerror(errno));
    return p;
  }
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string cand = (dir.empty() ? "." : dir) + "/" + arg0;
    if (is_executable_file(cand)) return cand;
    start = end + 1;
  }
  throw NotFound("cannot run '" + arg0 + "': command not found");
}

static std::vector<char*> cstrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

pid_t launch_traced(const LaunchSpec& spec, long options) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) throw_errno("pipe");
  auto argv = cstrings(spec.argv);
  auto envp = cstrings(spec.envp);
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    close(pfd[0]);
    int err = 0;
    // Ctrl-C belongs to the program; the recorder ignores it to finish the trace.
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) err = errno;
    if (!err && personality(ADDR_NO_RANDOMIZE) == -1) err = errno;
    if (!err && !spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) err = 0;  // best effort
    if (!err && spec.stack_limit_cur >= 0) {
      rlimit rl;
      getrlimit(RLIMIT_STACK, &rl);
      rl.rlim_cur = static_cast<rlim_t>(spec.stack_limit_cur);
      if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_STACK, &rl);
    }
    if (!err) {
      raise(SIGSTOP);
      execve(spec.exe_path.c_str(), argv.data(), envp.data());
      err = errno;
    }
    if (write(pfd[1], &err, sizeof err) < 0) _exit(126);
    _exit(127);
  }
  close(pfd[1]);
  int status;
  if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
    close(pfd[0]);
    int err = 0;
    throw Error("cannot start '" + spec.exe_path + "'" + (err ? strerror(err) : ""));
  }
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, options) != 0) {
    kill(pid, SIGKILL);
    close(pfd[0]);
    throw_errno("ptrace(PTRACE_SETOPTIONS)");
  }
  ptrace(PTRACE_CONT, pid, nullptr, nullptr);
  for (;;) {
    if (waitpid(pid, &status, __WALL) != pid) {
      close(pfd[0]);
      throw_errno("waitpid");
    }
    if (WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) break;
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      int err = 0;
      ssize_t n = read(pfd[0], &err, sizeof err);
      close(pfd[0]);
      if (n == sizeof err && err)
        throw NotFound("cannot run '" + spec.exe_path + "': " + strerror(err));
      throw Error("program exited before it started");
    }
    // Any other stop before the exec: pass the signal on.
    int sig = WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
    ptrace(PTRACE_CONT, pid, nullptr, sig == SIGTRAP ? 0 : sig);
  }
  close(pfd[0]);
  return pid;
}

}  // namespace rp
