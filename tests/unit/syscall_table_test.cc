// The syscall table is the contract between record, replay and the kernel
// backends: a wrong number or buffer rule silently corrupts traces, so these
// tests check it against the kernel's own headers and against known ABI facts.
#include <asm/unistd_64.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "syscall_table.h"

namespace rp {
namespace {

std::vector<const SyscallSpec*> all_specs() {
  std::vector<const SyscallSpec*> v;
  for (auto p = syscall_specs_begin(); p != syscall_specs_end(); ++p) v.push_back(p);
  return v;
}

const SyscallSpec& spec(const char* name) {
  const SyscallSpec* s = syscall_spec_by_name(name);
  if (!s) throw std::runtime_error(std::string("no spec for ") + name);
  return *s;
}

TEST(SyscallTable, HasAReasonableNumberOfEntries) {
  EXPECT_GT(all_specs().size(), 300u);
}

TEST(SyscallTable, X86NumbersAreUnique) {
  std::map<int, const char*> seen;
  for (auto s : all_specs()) {
    ASSERT_GE(s->x86_64_nr, 0) << s->name;
    auto [it, fresh] = seen.emplace(s->x86_64_nr, s->name);
    EXPECT_TRUE(fresh) << s->name << " and " << it->second << " share " << s->x86_64_nr;
  }
}

TEST(SyscallTable, Arm64NumbersAreUnique) {
  std::map<int, const char*> seen;
  for (auto s : all_specs()) {
    if (s->arm64_nr < 0) continue;
    auto [it, fresh] = seen.emplace(s->arm64_nr, s->name);
    EXPECT_TRUE(fresh) << s->name << " and " << it->second << " share " << s->arm64_nr;
  }
}

TEST(SyscallTable, NamesAreUnique) {
  std::set<std::string> seen;
  for (auto s : all_specs()) EXPECT_TRUE(seen.insert(s->name).second) << s->name;
}

// Every entry expanded against <asm/unistd_64.h>: a typo in a number does not compile
// away, and a name the kernel does not know fails the build of this test.
TEST(SyscallTable, X86NumbersMatchKernelHeaders) {
  struct Known {
    const char* name;
    int kernel_nr;
    int table_nr;
  };
  const Known known[] = {
#define RP_NONE 0
#define RP_OUT(a, k, x, y) 0
#define RP_SYSCALL(name, x64, a64, args, pol, in, o0, o1, o2, o3) {#name, __NR_##name, x64},
#include "syscalls.def"
#undef RP_SYSCALL
#undef RP_OUT
#undef RP_NONE
  };
  ASSERT_EQ(std::size(known), all_specs().size());
  for (const auto& k : known) EXPECT_EQ(k.table_nr, k.kernel_nr) << k.name;
}

// Resolves "#define __NR_x __NR3264_x" chains from the preprocessor dump of the
// generic (arm64) syscall header made by tests/CMakeLists.txt.
std::map<std::string, long> arm64_numbers() {
  std::ifstream in(RP_ARM64_NR_DUMP);
  std::map<std::string, std::string> defs;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string def, name, value;
    if (ls >> def >> name >> value && def == "#define") defs[name] = value;
  }
  std::map<std::string, long> out;
  for (const auto& [name, v0] : defs) {
    if (name.rfind("__NR_", 0) != 0) continue;
    std::string v = v0;
    for (int depth = 0; depth < 4 && defs.count(v); depth++) v = defs[v];
    char* end;
    long n = std::strtol(v.c_str(), &end, 10);
    if (!v.empty() && *end == '\0') out[name.substr(5)] = n;
  }
  return out;
}

TEST(SyscallTable, Arm64NumbersMatchKernelHeaders) {
  auto nrs = arm64_numbers();
  ASSERT_GT(nrs.size(), 250u) << "could not read " << RP_ARM64_NR_DUMP;
  for (auto s : all_specs()) {
    auto it = nrs.find(s->name);
    if (s->arm64_nr < 0) {
      EXPECT_EQ(it, nrs.end()) << s->name << " exists on arm64 as " << it->second;
    } else {
      ASSERT_NE(it, nrs.end()) << s->name << " has arm64 nr " << s->arm64_nr
                               << " but arm64 has no such syscall";
      EXPECT_EQ(s->arm64_nr, it->second) << s->name;
    }
  }
}

TEST(SyscallTable, LookupsByNumberAndNameAgree) {
  for (auto s : all_specs()) {
    EXPECT_EQ(syscall_spec(syscall_nr(*s)), s) << s->name;
    EXPECT_EQ(syscall_spec_by_name(s->name), s) << s->name;
  }
  EXPECT_EQ(syscall_spec(-1), nullptr);
  EXPECT_EQ(syscall_spec(100000), nullptr);
  EXPECT_EQ(syscall_spec_by_name("no_such_syscall"), nullptr);
  EXPECT_EQ(syscall_spec_by_name(""), nullptr);
  ASSERT_NE(syscall_spec(__NR_getrandom), nullptr);
  EXPECT_STREQ(syscall_spec(__NR_getrandom)->name, "getrandom");
}

TEST(SyscallTable, ArgKindsAreWellFormed) {
  for (auto s : all_specs()) {
    EXPECT_EQ(s->nargs(), static_cast<int>(std::strlen(s->arg_kinds))) << s->name;
    EXPECT_LE(s->nargs(), 6) << s->name;
    for (const char* k = s->arg_kinds; *k; k++)
      EXPECT_NE(std::strchr("duxofps", *k), nullptr) << s->name << " kind '" << *k << "'";
  }
}

// Descriptors must name arguments the syscall has, and size rules that take a
// length from another argument must name an existing one too.
TEST(SyscallTable, BufferDescriptorsReferenceValidArguments) {
  for (auto s : all_specs()) {
    std::vector<const BufferSpec*> bufs{&s->input};
    for (const auto& o : s->out) bufs.push_back(&o);
    for (auto b : bufs) {
      if (!b->present()) {
        EXPECT_EQ(b->kind, RP_SZ_NONE) << s->name;
        continue;
      }
      EXPECT_LT(b->arg, s->nargs()) << s->name;
      // ioctl/fcntl take "an int or a pointer" and say so with 'x'.
      EXPECT_NE(std::strchr("px", s->arg_kinds[b->arg]), nullptr)
          << s->name << " buffer in arg " << b->arg << " of kind " << s->arg_kinds[b->arg];
      switch (b->kind) {
        case RP_SZ_ARG:
        case RP_SZ_ARGMUL:
        case RP_SZ_LENPTR:
        case RP_SZ_IOV:
        case RP_SZ_MMSGHDR:
        case RP_SZ_MMSGLEN:
        case RP_SZ_PAGES:
        case RP_SZ_BITS:
          EXPECT_GE(b->p1, 0) << s->name;
          EXPECT_LT(b->p1, s->nargs()) << s->name;
          EXPECT_NE(b->p1, b->arg) << s->name;
          break;
        case RP_SZ_FIXED:
        case RP_SZ_RET: EXPECT_GT(b->p1, 0) << s->name; break;
        default: break;
      }
      if (b->kind == RP_SZ_LENPTR) {
        EXPECT_EQ(s->arg_kinds[b->p1], 'p') << s->name;
      }
    }
  }
}

void expect_out(const char* name, int i, int arg, rp_size kind, int64_t p1) {
  const BufferSpec& o = spec(name).out[i];
  EXPECT_EQ(o.arg, arg) << name << " out " << i;
  EXPECT_EQ(o.kind, kind) << name << " out " << i;
  EXPECT_EQ(o.p1, p1) << name << " out " << i;
}

TEST(SyscallTable, KeySyscallsHaveTheExpectedOutputs) {
  expect_out("read", 0, 1, RP_SZ_RET, 1);
  EXPECT_FALSE(spec("read").out[1].present());
  expect_out("pread64", 0, 1, RP_SZ_RET, 1);
  expect_out("fstat", 0, 1, RP_SZ_FIXED, 144);
  expect_out("newfstatat", 0, 2, RP_SZ_FIXED, 144);
  expect_out("statx", 0, 4, RP_SZ_FIXED, 256);
  expect_out("getrandom", 0, 0, RP_SZ_RET, 1);
  expect_out("recvfrom", 0, 1, RP_SZ_RET, 1);
  expect_out("recvfrom", 1, 4, RP_SZ_LENPTR, 5);
  expect_out("recvfrom", 2, 5, RP_SZ_FIXED, 4);
  expect_out("wait4", 0, 1, RP_SZ_FIXED, 4);
  expect_out("wait4", 1, 3, RP_SZ_FIXED, 144);
  expect_out("readv", 0, 1, RP_SZ_IOV, 2);
  expect_out("recvmsg", 0, 1, RP_SZ_MSGHDR, 0);
  expect_out("clock_gettime", 0, 1, RP_SZ_FIXED, 16);
  expect_out("gettimeofday", 0, 0, RP_SZ_FIXED, 16);
  expect_out("pipe2", 0, 0, RP_SZ_FIXED, 8);
  expect_out("ioctl", 0, 2, RP_SZ_IOCTL, 0);
  expect_out("select", 0, 1, RP_SZ_FDSET, 0);
  expect_out("select", 3, 4, RP_SZ_FIXED, 16);
  expect_out("epoll_wait", 0, 1, RP_SZ_RET, 12);  // packed struct on x86_64
  expect_out("accept4", 0, 1, RP_SZ_LENPTR, 2);
  // Write-like calls record a hash of what they send, and write nothing.
  const auto& w = spec("write");
  EXPECT_EQ(w.input.arg, 1);
  EXPECT_EQ(w.input.kind, RP_SZ_ARG);
  EXPECT_EQ(w.input.p1, 2);
  for (const auto& o : w.out) EXPECT_FALSE(o.present());
  EXPECT_EQ(spec("writev").input.kind, RP_SZ_IOV);
  EXPECT_EQ(spec("sendmsg").input.kind, RP_SZ_MSGHDR);
  EXPECT_FALSE(spec("getpid").out[0].present());
}

TEST(SyscallTable, Policies) {
  EXPECT_EQ(spec("mmap").policy, RP_POLICY_MMAP);
  EXPECT_EQ(spec("execve").policy, RP_POLICY_EXECVE);
  EXPECT_EQ(spec("execveat").policy, RP_POLICY_EXECVE);
  EXPECT_EQ(spec("exit_group").policy, RP_POLICY_EXIT);
  EXPECT_EQ(spec("exit").policy, RP_POLICY_EXIT);
  EXPECT_EQ(spec("clone").policy, RP_POLICY_CLONE);
  EXPECT_EQ(spec("fork").policy, RP_POLICY_CLONE);
  EXPECT_EQ(spec("vfork").policy, RP_POLICY_CLONE);
  EXPECT_EQ(spec("kill").policy, RP_POLICY_KILL);
  EXPECT_EQ(spec("tgkill").policy, RP_POLICY_KILL);
  EXPECT_EQ(spec("rt_sigreturn").policy, RP_POLICY_SIGRETURN);
  for (const char* n : {"rseq", "clone3", "io_uring_setup", "io_uring_enter", "io_setup",
                        "io_submit", "userfaultfd"})
    EXPECT_EQ(spec(n).policy, RP_POLICY_ENOSYS) << n;
  for (const char* n : {"mprotect", "munmap", "brk", "mremap", "madvise", "arch_prctl",
                        "set_tid_address", "rt_sigaction", "rt_sigprocmask"})
    EXPECT_EQ(spec(n).policy, RP_POLICY_EXEC) << n;
  for (const char* n : {"read", "write", "openat", "getrandom", "getpid", "clock_gettime",
                        "wait4", "socket", "recvfrom"})
    EXPECT_EQ(spec(n).policy, RP_POLICY_EMU) << n;
}

// Struct sizes the table names, against the host's own headers (x86_64 here:
// glibc's layouts of these equal the kernel's).
TEST(SyscallTable, StructSizesMatchHostHeaders) {
  EXPECT_EQ(RP_SIZEOF_STAT, sizeof(struct stat));
  EXPECT_EQ(RP_SIZEOF_EPOLL_EVENT, sizeof(struct epoll_event));
  EXPECT_EQ(RP_SIZEOF_MSGHDR, sizeof(struct msghdr));
  EXPECT_EQ(RP_SIZEOF_MMSGHDR, sizeof(struct mmsghdr));
  EXPECT_EQ(RP_SIZEOF_IOVEC, sizeof(struct iovec));
  EXPECT_EQ(RP_SIZEOF_RUSAGE, sizeof(struct rusage));
  EXPECT_EQ(RP_SIZEOF_UTSNAME, sizeof(struct utsname));
  EXPECT_EQ(RP_SIZEOF_STATX, sizeof(struct statx));
  EXPECT_EQ(RP_SIZEOF_SIGINFO, sizeof(siginfo_t));
  EXPECT_EQ(RP_SIZEOF_STACK_T, sizeof(stack_t));
  EXPECT_EQ(RP_SIZEOF_TIMESPEC, sizeof(struct timespec));
  EXPECT_EQ(RP_SIZEOF_TIMEVAL, sizeof(struct timeval));
  EXPECT_EQ(RP_SIZEOF_ITIMERVAL, sizeof(struct itimerval));
  EXPECT_EQ(RP_SIZEOF_ITIMERSPEC, sizeof(struct itimerspec));
  EXPECT_EQ(RP_SIZEOF_SYSINFO, sizeof(struct sysinfo));
  EXPECT_EQ(RP_SIZEOF_STATFS, sizeof(struct statfs));
  EXPECT_EQ(RP_SIZEOF_FLOCK, sizeof(struct flock));
  EXPECT_EQ(RP_SIZEOF_TIMEX, sizeof(struct timex));
}

}  // namespace
}  // namespace rp
