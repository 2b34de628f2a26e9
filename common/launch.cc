#include "launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "error.h"
#include "private_root.h"
#include "sandbox.h"
#include "syscall_table.h"
#include "unique_fd.h"

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

namespace {

void write_text(const char* path, const std::string& text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, text.data(), text.size()) < 0) {
  }
  close(fd);
}

// Kills and reaps a child that failed to start, when an error unwinds past
// it; release() once it is started.
class KillOnUnwind {
 public:
  explicit KillOnUnwind(pid_t pid) : pid_(pid) {}
  ~KillOnUnwind() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st;
    while (waitpid(pid_, &st, __WALL) < 0 && errno == EINTR) {
    }
  }
  KillOnUnwind(const KillOnUnwind&) = delete;
  KillOnUnwind& operator=(const KillOnUnwind&) = delete;
  void reaped() { pid_ = 0; }
  pid_t release() { return std::exchange(pid_, 0); }

 private:
  pid_t pid_;
};

}  // namespace

// In the child, before exec: a mount namespace (inside a user namespace when
// not root) whose root is a fresh tmpfs holding only the stored files.
int enter_private_root(const LaunchSpec& spec) {
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (geteuid() == 0) {
    if (unshare(CLONE_NEWNS) != 0) return errno;
  } else {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno;
    write_text("/proc/self/setgroups", "deny");
    write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
  const std::string& root = spec.root_dir;
  if (mount("rp-replay-root", root.c_str(), "tmpfs", 0, "mode=0755") != 0) return errno;
  // Filled and entered through one descriptor: the trace decides no path
  // outside the root (private_root.h), and the root cannot be swapped under us.
  int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) return errno;
  int err = fill_private_root(root_fd, spec.root_files, spec.cwd, spec.exe_path);
  if (!err && fchdir(root_fd) != 0) err = errno;
  close(root_fd);
  if (err) return err;
  if (chroot(".") != 0) return errno;
  if (chdir("/") != 0) return errno;
  return 0;
}

// In the child before exec (no allocation): the file at kPastEofFd, kept
// across exec. Returns 0 or an errno. Under a hard descriptor limit at or
// below kPastEofFd there is none: replay checks (Replayer::start).
static int open_past_eof_file() {
  int fd = static_cast<int>(syscall(SYS_memfd_create, "rp-past-eof", 0));
  if (fd < 0) return errno;
  // dup2 needs the soft descriptor limit above kPastEofFd; the descriptor
  // stays when the program's limit is set back.
  rlimit was{}, raised{};
  getrlimit(RLIMIT_NOFILE, &was);
  raised = was;
  if (raised.rlim_cur <= static_cast<rlim_t>(kPastEofFd))
    raised.rlim_cur = static_cast<rlim_t>(kPastEofFd) + 1;
  int err = 0;
  if (ftruncate(fd, static_cast<off_t>(kPastEofFileSize)) != 0) err = errno;
  if (!err && setrlimit(RLIMIT_NOFILE, &raised) == 0) dup2(fd, kPastEofFd);
  setrlimit(RLIMIT_NOFILE, &was);
  close(fd);
  return err;
}

// A child that leads a new process group, for the program to join: a
// group outlives its leader while it has members. 0 if fork fails.
static pid_t start_group_leader() {
  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    for (;;) pause();
  }
  if (leader < 0) return 0;
  setpgid(leader, leader);  // either call may run first
  return leader;
}

static void end_group_leader(pid_t leader) {
  if (!leader) return;
  kill(leader, SIGKILL);
  waitpid(leader, nullptr, 0);
}

pid_t launch_traced(const LaunchSpec& spec, long options) {
  pid_t group = spec.own_process_group ? start_group_leader() : 0;
  if (spec.own_process_group && !group) throw_errno("fork");
  struct EndLeader {
    pid_t pid;
    ~EndLeader() { end_group_leader(pid); }
  } end_leader{group};
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) throw_errno("pipe");
  auto argv = cstrings(spec.argv);
  auto envp = cstrings(spec.envp);
  // Filters are built before fork: no allocation in the child for them.
  auto filter = spec.refuse_enosys    ? enosys_filter(/*emulate_ptrace=*/true)
                : spec.trap_vsyscalls ? ptrace_backend_filter()
                                      : std::vector<sock_filter>{};
  auto replay_only = spec.sandbox ? replay_filter() : std::vector<sock_filter>{};
  bool host_root = geteuid() == 0;
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    close(pfd[0]);
    int err = 0;
    // Ctrl-C belongs to the program; the recorder ignores it to finish the trace.
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    if (group && setpgid(0, group) != 0) err = errno;
    if (!err && ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) err = errno;
    if (!err && personality(ADDR_NO_RANDOMIZE) == -1) err = errno;
    if (!err && !spec.root_files.empty()) err = enter_private_root(spec);
    if (!err && !spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) err = 0;  // best effort
    if (!err && spec.stack_limit_cur >= 0) {
      rlimit rl;
      getrlimit(RLIMIT_STACK, &rl);
      rl.rlim_cur = static_cast<rlim_t>(spec.stack_limit_cur);
      if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_STACK, &rl);
    }
    // rdtsc/rdtscp then fault, so rp can record and replay their values; the
    // setting survives exec and is inherited.
    if (!err && spec.trap_rdtsc) prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    if (!err && !filter.empty()) err = install_filter(filter);
    if (!err && spec.past_eof_file) err = open_past_eof_file();
    if (!err && spec.sandbox) err = confine_replay(host_root, !spec.root_files.empty());
    // Past the filter a failed execve could not be reported: check it now.
    if (!err && spec.sandbox && access(spec.exe_path.c_str(), X_OK) != 0) err = errno;
    if (!err) {
      raise(SIGSTOP);
      // Last: from here the filter admits little more than execve.
      if (spec.sandbox) err = install_filter(replay_only);
      if (!err) execve(spec.exe_path.c_str(), argv.data(), envp.data());
      if (!err) err = errno;
    }
    if (write(pfd[1], &err, sizeof err) < 0) _exit(126);
    _exit(127);
  }
  close(pfd[1]);
  if (group) setpgid(pid, group);  // either call may run first
  unique_fd exec_error(pfd[0]);  // the child writes errno here if it cannot exec
  KillOnUnwind child(pid);
  int status;
  pid_t got = waitpid(pid, &status, __WALL);
  if (got == pid && !WIFSTOPPED(status)) child.reaped();
  if (got != pid || !WIFSTOPPED(status))
    throw Error("cannot start '" + spec.exe_path + "': it did not stop before its exec");
  // The filter's traps (CLONE_UNTRACED, the vsyscall page) stop for the
  // tracer only with this option.
  if (!filter.empty() || !replay_only.empty()) options |= PTRACE_O_TRACESECCOMP;
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, options) != 0)
    throw_errno("ptrace(PTRACE_SETOPTIONS)");
  ptrace(PTRACE_CONT, pid, nullptr, nullptr);
  for (;;) {
    if (waitpid(pid, &status, __WALL) != pid) throw_errno("waitpid");
    if (WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) break;
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      child.reaped();
      int err = 0;
      ssize_t n = read(exec_error.get(), &err, sizeof err);
      if (n == sizeof err && err)
        throw NotFound("cannot run '" + spec.exe_path + "': " + strerror(err));
      throw Error("program exited before it started");
    }
    // Any other stop before the exec: pass the signal on.
    int sig = WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
    ptrace(PTRACE_CONT, pid, nullptr, sig == SIGTRAP ? 0 : sig);
  }
  return child.release();
}

}  // namespace rp
