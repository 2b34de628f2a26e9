// The vDSO patch: symbol lookup checked against the dynamic linker's own view
// of this process's vDSO, and a patched child checked to make real syscalls.
#include "vdso.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <set>
#include <vector>

namespace rp {
namespace {

std::string own_image() {
  std::string err;
  auto range = find_vdso(getpid(), &err);
  if (!range) return {};
  return std::string(reinterpret_cast<const char*>(range->addr), range->size);
}

#if defined(__x86_64__)
constexpr const char* kClockGettime = "__vdso_clock_gettime";
constexpr const char* kGetrandom = "__vdso_getrandom";
#else
constexpr const char* kClockGettime = "__kernel_clock_gettime";
constexpr const char* kGetrandom = "__kernel_getrandom";
#endif

const VdsoPatch* patch_named(const std::vector<VdsoPatch>& ps, const std::string& name) {
  for (const auto& p : ps)
    if (std::find(p.names.begin(), p.names.end(), name) != p.names.end()) return &p;
  return nullptr;
}

TEST(Vdso, FindsOwnMapping) {
  std::string err;
  auto range = find_vdso(getpid(), &err);
  ASSERT_TRUE(range) << err;
  EXPECT_EQ(range->addr, getauxval(AT_SYSINFO_EHDR));
  EXPECT_GE(range->size, 4096u);
}

#if defined(__x86_64__)
TEST(Vdso, EntriesMatchTheDynamicLinker) {
  std::string image = own_image();
  ASSERT_FALSE(image.empty());
  std::string err;
  auto patches = plan_vdso_patches(image, &err);
  ASSERT_TRUE(patches) << err;
  // ld.so registers the vDSO as a loaded object: its lookup is independent of
  // libObject and tells where each entry really is.
  void* h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
  ASSERT_NE(h, nullptr) << dlerror();
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  for (const char* fn : {"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"}) {
    std::string full = std::string("__vdso_") + fn;
    void* addr = dlvsym(h, full.c_str(), "LINUX_2.6");
    ASSERT_NE(addr, nullptr) << full;
    const VdsoPatch* p = patch_named(*patches, full);
    ASSERT_NE(p, nullptr) << full;
    EXPECT_EQ(base + p->offset, reinterpret_cast<uint64_t>(addr)) << full;
    // The weak alias is the same entry, patched once.
    EXPECT_EQ(patch_named(*patches, fn), p) << fn;
  }
  // getrandom's entry must refuse (mov rax, -ENOSYS), not run the syscall
  // with its different signature; it exists on kernels >= 6.11.
  if (void* gr = dlvsym(h, "__vdso_getrandom", "LINUX_2.6")) {
    const VdsoPatch* p = patch_named(*patches, "__vdso_getrandom");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(base + p->offset, reinterpret_cast<uint64_t>(gr));
    EXPECT_EQ(p->bytes.find("\x0f\x05"), std::string::npos);
    EXPECT_NE(p->bytes.find(std::string("\x48\xc7\xc0\xda\xff\xff\xff", 7)), std::string::npos);
  }
  std::set<uint64_t> offsets;
  for (const auto& p : *patches) EXPECT_TRUE(offsets.insert(p.offset).second);
  dlclose(h);
}
#endif

// Runs a stub copied to a page of its own, with getrandom's vDSO signature.
long call_stub(const std::string& bytes, void* buf, size_t len, unsigned flags, void* state,
               size_t state_len) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return -9999;
  memcpy(page, bytes.data(), bytes.size());
  mprotect(page, 4096, PROT_READ | PROT_EXEC);
  using Fn = long (*)(void*, size_t, unsigned, void*, size_t);
  long r = reinterpret_cast<Fn>(page)(buf, len, flags, state, state_len);
  munmap(page, 4096);
  return r;
}

bool kernel_at_least(int major, int minor) {
  utsname u;
  int ma = 0, mi = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

TEST(Vdso, GetrandomStubMakesLibcFallBack) {
  std::string err;
  auto patches = plan_vdso_patches(own_image(), &err);
  ASSERT_TRUE(patches) << err;
  const VdsoPatch* p = patch_named(*patches, kGetrandom);
  if (!p) {
    // Kernels from 6.11 on have it: under CI only an older kernel may skip.
    if (getenv("CI") && std::string(getenv("CI")) == "true" && kernel_at_least(6, 11))
      FAIL() << "this kernel (>= 6.11) should have a vDSO getrandom";
    GTEST_SKIP() << "this kernel's vDSO has no getrandom (< 6.11)";
  }
  // A libc first asks for the opaque state's size; -ENOSYS there makes it use
  // the syscall from then on. Every other call must fail the same way.
  char params[64] = {};
  EXPECT_EQ(call_stub(p->bytes, nullptr, 0, 0, params, ~0UL), -ENOSYS);
  char buf[16] = {};
  EXPECT_EQ(call_stub(p->bytes, buf, sizeof buf, 0, params, 64), -ENOSYS);
}

TEST(Vdso, ClockStubReturnsTheSyscallResult) {
  std::string err;
  auto patches = plan_vdso_patches(own_image(), &err);
  ASSERT_TRUE(patches) << err;
  const VdsoPatch* p = patch_named(*patches, kClockGettime);
  ASSERT_NE(p, nullptr);
  // clock_gettime(clockid, ts) in the first two argument registers; the
  // kernel's -errno comes back raw, as from the vDSO.
  auto clock = reinterpret_cast<void*>(CLOCK_REALTIME);
  EXPECT_EQ(call_stub(p->bytes, clock, 0, 0, nullptr, 0), -EFAULT);
  timespec ts{}, before{};
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &before);
  EXPECT_EQ(call_stub(p->bytes, clock, reinterpret_cast<size_t>(&ts), 0, nullptr, 0), 0);
  EXPECT_GE(ts.tv_sec, before.tv_sec);
  EXPECT_LE(ts.tv_sec, before.tv_sec + 1);
}

TEST(Vdso, RejectsWhatIsNotAVdso) {
  std::string err;
  EXPECT_FALSE(plan_vdso_patches(std::string(4096, 'x'), &err));
  EXPECT_NE(err.find("vDSO"), std::string::npos);
  std::string image = own_image();
  ASSERT_FALSE(image.empty());
  std::string other_arch = image;
  other_arch[18] = static_cast<char>(other_arch[18] ^ 0x40);  // e_machine
  err.clear();
  EXPECT_FALSE(plan_vdso_patches(other_arch, &err));
  EXPECT_NE(err.find("not a 64-bit"), std::string::npos) << err;
  err.clear();
  EXPECT_FALSE(plan_vdso_patches(std::string_view(image).substr(0, 200), &err));
  EXPECT_FALSE(err.empty());
}

// The child reads each clock through libc (i.e. the vDSO) bracketed by raw
// syscalls, so a patched stub must both trap into the kernel and return the
// right values. Exit status 0 means the values were consistent.
[[noreturn]] void clock_child() {
  auto ns = [](const timespec& t) { return t.tv_sec * 1000000000LL + t.tv_nsec; };
  timespec before{}, via{}, after{};
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &before);
  bool ok = clock_gettime(CLOCK_MONOTONIC, &via) == 0;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &after);
  ok = ok && ns(before) <= ns(via) && ns(via) <= ns(after);
  timeval tv{};
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &before);
  ok = ok && gettimeofday(&tv, nullptr) == 0;
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &after);
  ok = ok && before.tv_sec <= tv.tv_sec && tv.tv_sec <= after.tv_sec;
  time_t t0 = syscall(SYS_time, nullptr);
  time_t t1 = time(nullptr);
  ok = ok && t1 >= t0 && t1 - t0 <= 1;
  unsigned cpu = ~0u, node = ~0u;
  ok = ok && getcpu(&cpu, &node) == 0 &&
       cpu < static_cast<unsigned>(sysconf(_SC_NPROCESSORS_CONF));
  _exit(ok ? 0 : 1);
}

// A process that forks after being patched; the grandchild reads the clock.
[[noreturn]] void forking_child() {
  pid_t c = fork();
  if (c == 0) {
    timespec ts;
    _exit(clock_gettime(CLOCK_REALTIME, &ts) == 0 ? 0 : 1);
  }
  int st = 0;
  waitpid(c, &st, 0);
  _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 2);
}

struct Traced {
  std::vector<long> nrs;        // syscalls entered by the first child
  std::vector<long> child_nrs;  // ... and by the processes it forked
  int status = 0;               // the first child's wait status
};

// Runs body in a traced child; patches its vDSO (or not) when it first stops.
Traced trace(void (*body)(), bool patch) {
  Traced out;
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    raise(SIGSTOP);
    body();
  }
  int status;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
  ptrace(PTRACE_SETOPTIONS, pid, nullptr,
         PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_EXITKILL);
  if (patch) {
    std::string err;
    EXPECT_TRUE(patch_vdso(pid, &err)) << err;
  }
  ptrace(PTRACE_SYSCALL, pid, nullptr, nullptr);
  std::set<pid_t> live{pid};
  while (!live.empty()) {
    pid_t who = waitpid(-1, &status, __WALL);
    if (who < 0) break;
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (who == pid) out.status = status;
      live.erase(who);
      continue;
    }
    live.insert(who);
    if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
      __ptrace_syscall_info info{};
      ptrace(PTRACE_GET_SYSCALL_INFO, who, sizeof info, &info);
      if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
        (who == pid ? out.nrs : out.child_nrs).push_back(static_cast<long>(info.entry.nr));
    }
    ptrace(PTRACE_SYSCALL, who, nullptr, nullptr);  // no signal is passed on
  }
  return out;
}

int count(const std::vector<long>& v, long nr) {
  return static_cast<int>(std::count(v.begin(), v.end(), nr));
}

TEST(Vdso, UnpatchedClocksAreInvisible) {
  // The problem being solved: only the raw bracketing syscalls show up.
  Traced t = trace(clock_child, false);
  ASSERT_TRUE(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0);
  EXPECT_EQ(count(t.nrs, SYS_clock_gettime), 4);
  EXPECT_EQ(count(t.nrs, SYS_time), 1);
  EXPECT_EQ(count(t.nrs, SYS_gettimeofday), 0);
  EXPECT_EQ(count(t.nrs, SYS_getcpu), 0);
}

TEST(Vdso, PatchedClocksMakeSyscalls) {
  Traced t = trace(clock_child, true);
  ASSERT_TRUE(WIFEXITED(t.status)) << t.status;
  EXPECT_EQ(WEXITSTATUS(t.status), 0) << "a patched clock returned a wrong value";
  EXPECT_EQ(count(t.nrs, SYS_clock_gettime), 5);
  EXPECT_EQ(count(t.nrs, SYS_gettimeofday), 1);
  EXPECT_EQ(count(t.nrs, SYS_time), 2);
  EXPECT_EQ(count(t.nrs, SYS_getcpu), 1);
}

TEST(Vdso, ForkedChildInheritsThePatch) {
  Traced plain = trace(forking_child, false);
  EXPECT_EQ(count(plain.child_nrs, SYS_clock_gettime), 0);
  Traced t = trace(forking_child, true);
  ASSERT_TRUE(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0) << t.status;
  EXPECT_EQ(count(t.child_nrs, SYS_clock_gettime), 1);
}

}  // namespace
}  // namespace rp
