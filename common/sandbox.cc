#include "sandbox.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>

#include "clone_untraced.h"
#include "counter_patch.h"
#include "error.h"
#include "syscall_table.h"

namespace rp {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kNativeAuditArch = AUDIT_ARCH_X86_64;
#else
constexpr uint32_t kNativeAuditArch = AUDIT_ARCH_AARCH64;
#endif

using FilterCtx = std::unique_ptr<void, decltype(&seccomp_release)>;

FilterCtx new_filter(uint32_t default_action) {
  FilterCtx ctx(seccomp_init(default_action), &seccomp_release);
  if (!ctx) throw Error("seccomp_init failed");
  return ctx;
}

void add_rule(const FilterCtx& ctx, uint32_t action, int nr, const char* name) {
  if (int rc = seccomp_rule_add(ctx.get(), action, nr, 0))
    throw Error(std::string("seccomp rule for ") + name + ": " + strerror(-rc));
}

// libseccomp writes the BPF program to an fd; the child installs it raw.
std::vector<sock_filter> export_program(const FilterCtx& ctx) {
  int fd = memfd_create("rp-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw_errno("memfd_create");
  std::vector<sock_filter> prog;
  int rc = seccomp_export_bpf(ctx.get(), fd);
  off_t size = lseek(fd, 0, SEEK_END);
  if (rc == 0 && size > 0 && size % sizeof(sock_filter) == 0) {
    prog.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (pread(fd, prog.data(), static_cast<size_t>(size), 0) != size) prog.clear();
  }
  close(fd);
  if (prog.empty()) throw Error("cannot generate the seccomp filter");
  return prog;
}

// Put before libseccomp's program, which cannot compare the instruction
// pointer: a call from the vsyscall page stops for the tracer (sandbox.h),
// anything else goes on to the program.
std::vector<sock_filter> with_vsyscall_trap(std::vector<sock_filter> prog) {
#if defined(__x86_64__)
  constexpr uint32_t ip = offsetof(seccomp_data, instruction_pointer);
  const sock_filter trap[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip + 4),  // the high half
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kVsyscallPage >> 32), 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfffff000),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kVsyscallPage), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kVsyscallTrap),
  };
  prog.insert(prog.begin(), std::begin(trap), std::end(trap));
#endif
  return prog;
}

// Put first: a call of another ABI than the native one (seccomp's arch:
// i386's int $0x80 on x86_64) stops for the tracer (kForeignAbiTrap), or with
// no tracer to stop for (rp record -p) fails with ENOSYS. Not libseccomp's
// bad-arch action: that takes x32's numbers for another ABI too, and with
// them every number with bit 30 set (an invalid -2 under the eBPF backend
// then skipped its sys_enter and was lost from the trace).
std::vector<sock_filter> with_foreign_abi_trap(std::vector<sock_filter> prog, bool trap) {
  const sock_filter check[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K,
               trap ? SECCOMP_RET_TRACE | kForeignAbiTrap : SECCOMP_RET_ERRNO | ENOSYS),
  };
  prog.insert(prog.begin(), std::begin(check), std::end(check));
  return prog;
}

// prctl(PR_GET_SECCOMP) stops for the tracer (kSeccompModeTrap, sandbox.h).
void add_seccomp_mode_trap(const FilterCtx& ctx) {
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kSeccompModeTrap), SCMP_SYS(prctl), 1,
                                SCMP_A0(SCMP_CMP_EQ, PR_GET_SECCOMP)))
    throw Error(std::string("seccomp rule for prctl: ") + strerror(-rc));
}

// Syscalls replay lets the kernel run: every policy but EMU, KILL (emulated)
// and ENOSYS. shmat/shmdt are EXEC in the table but replay turns them into
// mmap/munmap of private memory (replay/sysv_shm.cc): the kernel never sees them.
bool replay_executes(const SyscallSpec& s) {
  std::string name = s.name;
  if (name == "shmat" || name == "shmdt") return false;
  return s.policy != RP_POLICY_EMU && s.policy != RP_POLICY_KILL &&
         s.policy != RP_POLICY_ENOSYS;
}

int uid_handover(const char* path, const struct stat*, int, FTW*) {
  lchown(path, kReplayUid, kReplayGid);
  return 0;
}

// Empties the bounding set (nothing regained at exec, not even by uid 0)
// while CAP_SETPCAP is still there; the other sets go with drop_all_caps.
int drop_bounding_set() {
  for (int cap = 0; cap <= 63; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  return 0;
}

int drop_all_caps() {
  __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  return syscall(SYS_capset, &head, data) == 0 ? 0 : errno;
}

void write_text(const char* file, const std::string& text) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, text.data(), text.size()) < 0) {
  }
  close(fd);
}

// New IPC/net/UTS namespaces; a user namespace first where that is needed
// (not root and no private root, which would have made one).
int enter_namespaces() {
  const int spaces = CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS;
  if (unshare(spaces) == 0) return 0;
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER | spaces) != 0) return errno;
  write_text("/proc/self/setgroups", "deny");
  write_text("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1");
  write_text("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1");
  return 0;
}

// Where counter reads are patched (arm64; x86_64 where rdtsc cannot trap).
void add_exec_map_rules(FilterCtx& ctx) {
  if (!patches_counter_reads()) return;
  auto exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
  int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kExecMapTrap), SCMP_SYS(mmap), 2, exec,
                            SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, 0));
  for (int nr : {SCMP_SYS(mprotect), SCMP_SYS(pkey_mprotect)})
    if (rc == 0) rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kExecMapTrap), nr, 1, exec);
  if (rc) throw Error(std::string("seccomp rule for mmap/mprotect: ") + strerror(-rc));
}

// mlock and friends run for real in replay (they decide what madvise may
// drop), and without CAP_IPC_LOCK the locked bytes count against
// RLIMIT_MEMLOCK: raised while rp still may, so that what the recording
// locked (as root) locks here too. The program's own getrlimit is emulated.
void raise_memlock_limit() {
  rlimit r{RLIM_INFINITY, RLIM_INFINITY};
  if (setrlimit(RLIMIT_MEMLOCK, &r) == 0 || getrlimit(RLIMIT_MEMLOCK, &r) != 0) return;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_MEMLOCK, &r);
}

}  // namespace

std::vector<sock_filter> enosys_filter(bool emulate_ptrace) {
  auto ctx = new_filter(SCMP_ACT_ALLOW);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);  // other ABIs: with_foreign_abi_trap
  for (auto s = syscall_specs_begin(); s != syscall_specs_end(); ++s)
    if (s->policy == RP_POLICY_ENOSYS && syscall_nr(*s) >= 0)
      add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), syscall_nr(*s), s->name);
  // The supervisor clears CLONE_UNTRACED at this stop (common/clone_untraced.h).
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kUntracedCloneTrap), SCMP_SYS(clone), 1,
                                SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, CLONE_UNTRACED)))
    throw Error(std::string("seccomp rule for clone: ") + strerror(-rc));
  if (!emulate_ptrace) return with_foreign_abi_trap(export_program(ctx), false);
  add_rule(ctx, SCMP_ACT_TRACE(kPtraceTrap), SCMP_SYS(ptrace), "ptrace");
  // Only a change of SIGCHLD's action: SA_NOCLDSTOP decides the tracer's SIGCHLD.
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kSigchldActionTrap),
                                SCMP_SYS(rt_sigaction), 2, SCMP_A0(SCMP_CMP_EQ, SIGCHLD),
                                SCMP_A1(SCMP_CMP_NE, 0)))
    throw Error(std::string("seccomp rule for rt_sigaction: ") + strerror(-rc));
  for (int fd : {1, 2})
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kSpliceTrap), SCMP_SYS(splice), 1,
                                  SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffff, static_cast<scmp_datum_t>(fd))))
      throw Error(std::string("seccomp rule for splice: ") + strerror(-rc));
  add_seccomp_mode_trap(ctx);
#if defined(__x86_64__)
  for (int option : {PR_GET_TSC, PR_SET_TSC})
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTscModeTrap), SCMP_SYS(prctl), 1,
                                  SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(option))))
      throw Error(std::string("seccomp rule for prctl: ") + strerror(-rc));
#endif
  add_exec_map_rules(ctx);
  return with_foreign_abi_trap(with_vsyscall_trap(export_program(ctx)), true);
}

std::vector<sock_filter> ptrace_backend_filter() {
#if defined(__x86_64__)
  auto ctx = new_filter(SCMP_ACT_ALLOW);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
  add_seccomp_mode_trap(ctx);
  return with_foreign_abi_trap(with_vsyscall_trap(export_program(ctx)), true);
#else
  return {};
#endif
}

bool is_tsc_mode_call(int64_t nr, const uint64_t args[6]) {
#if defined(__x86_64__)
  return nr == SYS_prctl && (args[0] == PR_GET_TSC || args[0] == PR_SET_TSC);
#else
  (void)nr, (void)args;
  return false;  // no PR_SET_TSC: nothing of rp's to hide
#endif
}

std::vector<sock_filter> replay_filter() {
  auto ctx = new_filter(SCMP_ACT_KILL_PROCESS);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  for (auto s = syscall_specs_begin(); s != syscall_specs_end(); ++s)
    if (replay_executes(*s) && syscall_nr(*s) >= 0)
      add_rule(ctx, SCMP_ACT_ALLOW, syscall_nr(*s), s->name);
  // Replay's own prlimit64 in the program: the stack limit it set, which
  // decides where its stack stops growing (replay/stack_limit.cc).
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 3,
                                SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, RLIMIT_STACK),
                                SCMP_A3(SCMP_CMP_EQ, 0)))
    throw Error(std::string("seccomp rule for prlimit64: ") + strerror(-rc));
  return with_vsyscall_trap(export_program(ctx));
}

bool native_syscall_arch(uint32_t arch) { return arch == kNativeAuditArch; }

std::string foreign_abi_call_error(pid_t tid, uint32_t arch, uint64_t nr) {
  const std::string abi = arch == AUDIT_ARCH_I386 ? "a 32-bit (i386, int $0x80) system call"
                                                  : "a system call of another ABI";
  return "record: thread " + std::to_string(tid) + " made " + abi + ", number " +
         std::to_string(nr) + ": rp records only the program's own (64-bit) system calls";
}

std::optional<TrappedCall> trapped_call(pid_t tid) {
  __ptrace_syscall_info info{};
  if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0 ||
      info.op != PTRACE_SYSCALL_INFO_SECCOMP)
    return std::nullopt;
  TrappedCall c;
  c.nr = static_cast<int64_t>(info.seccomp.nr);
  c.arch = info.arch;
  for (int i = 0; i < 6; i++) c.args[i] = info.seccomp.args[i];
  return c;
}

int install_filter(std::vector<sock_filter>& f) {
  // Without CAP_SYS_ADMIN a filter needs no_new_privs (root recording a
  // setuid program keeps its privileges).
  sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0) return 0;
  if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : errno;
}

int confine_replay(bool host_root, bool private_root) {
  raise_memlock_limit();
  if (int e = enter_namespaces()) return e;
  if (int e = drop_bounding_set()) return e;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (host_root && private_root) {
    // Hand the private root's files to nobody (they are stored with owner
    // permissions only), then become nobody: that drops every capability,
    // and nobody owns nothing of the host. Without a private root the host's
    // files must stay reachable (a program under /root), so root stays uid 0
    // with no capabilities.
    nftw("/", uid_handover, 16, FTW_PHYS | FTW_MOUNT);
    if (setgroups(0, nullptr) != 0) return errno;
    if (setresgid(kReplayGid, kReplayGid, kReplayGid) != 0) return errno;
    if (setresuid(kReplayUid, kReplayUid, kReplayUid) != 0) return errno;
  }
  return drop_all_caps();
}

}  // namespace rp
