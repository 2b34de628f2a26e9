// Confinement of traced programs. Recording: a seccomp filter refusing the
// ENOSYS-policy syscalls. Replay (defence in depth, docs/security.md): new
// IPC, network and UTS namespaces, no capabilities (root in a private root
// becomes nobody),
// no_new_privs, and a seccomp filter that kills the process if it executes
// any syscall replay does not run for real — so a replayed program that got
// past syscall emulation still reaches nothing of the host.
#pragma once
#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rp {

// Generated with libseccomp in the parent (no allocation needed in the child).
// ENOSYS-policy syscalls fail with ENOSYS; a CLONE_UNTRACED clone stops for
// the tracer (PTRACE_EVENT_SECCOMP, data kUntracedCloneTrap). emulate_ptrace:
// the program's own ptrace and its sigaction(SIGCHLD, act) stop for the
// tracer too (kPtraceTrap, kSigchldActionTrap), which emulates its ptrace
// (docs/design.md, "Programs that use ptrace"); not for a process rp attaches
// to, which keeps the filter after rp is gone. Where counter reads are
// patched (arm64; x86_64 where rdtsc cannot trap: patches_counter_reads()),
// emulate_ptrace also stops a private file mmap, mprotect or pkey_mprotect
// with PROT_EXEC (kExecMapTrap): the tracer patches the new code's counter
// reads at its exit (common/counter_patch.h).
std::vector<sock_filter> enosys_filter(bool emulate_ptrace);
constexpr uint16_t kPtraceTrap = 0x7271, kSigchldActionTrap = 0x7272, kExecMapTrap = 0x7273;
// emulate_ptrace also stops splice into fd 1 or 2 (kSpliceTrap): a kernel
// backend's tracer peeks at its source pipe there, since out of a pipe into a
// pipe or terminal the bytes are gone at the exit (common/kernel_copy.h).
// Only those fds, to keep the stops off a program's other splices; an output
// dup'ed elsewhere is not peeked (replay reports that call's bytes missing).
constexpr uint16_t kSpliceTrap = 0x7274;
// emulate_ptrace also stops prctl(PR_GET_SECCOMP) (kSeccompModeTrap): while
// rp's filter is the thread's only one, the program gets 0, as without rp.
constexpr uint16_t kSeccompModeTrap = 0x7275;
// And prctl(PR_GET_TSC / PR_SET_TSC) where rp makes rdtsc trap (x86_64,
// kTscModeTrap): the program sees PR_TSC_ENABLE, the mode it has without rp.
constexpr uint16_t kTscModeTrap = 0x7276;
bool is_tsc_mode_call(int64_t nr, const uint64_t args[6]);
std::vector<sock_filter> replay_filter();  // only what replay executes; else kill

// x86_64's legacy vsyscall page: a call into it (gettimeofday, time, getcpu)
// is run by the kernel's page-fault path, past every syscall hook but
// seccomp, which sees the page's address as the instruction pointer. The
// recording filters (enosys_filter with emulate_ptrace, ptrace_backend_filter) and
// replay_filter stop such a call for the tracer (kVsyscallTrap), which
// answers it at that stop: it skips the call (orig_rax -1, the result in
// rax) and the kernel returns to the caller. It must not change the call or
// the ip there: the kernel kills the process for that. Empty filter, and
// never trapped, elsewhere.
constexpr uint16_t kVsyscallTrap = 0x7277;
constexpr uint64_t kVsyscallPage = 0xffffffffff600000ull;
inline bool in_vsyscall_page(uint64_t ip) { return (ip & ~0xfffull) == kVsyscallPage; }
// A system call of another ABI than the program's (x86_64: `int $0x80`, the
// i386 table, from 64-bit code): rp records and replays only the native
// table, and reading such a call's arguments by it recorded the wrong call
// (i386 write(1, buf, 12) read as stat: its bytes reached stdout, unrecorded)
// or asked for gigabytes (i386 getpid read as writev). The recording filters
// stop such a call for the tracer (kForeignAbiTrap), which ends the
// recording with a clear error; the ptrace backend sees it at its entry
// stop first (PTRACE_GET_SYSCALL_INFO's arch).
constexpr uint16_t kForeignAbiTrap = 0x7278;
std::string foreign_abi_call_error(pid_t tid, uint32_t arch, uint64_t nr);
bool native_syscall_arch(uint32_t arch);

// The call a seccomp stop of rp's own filter holds, as the kernel reports it
// (PTRACE_GET_SYSCALL_INFO); none if thread tid is at no seccomp stop.
struct TrappedCall {
  int64_t nr = 0;
  uint64_t args[6] = {};
  uint32_t arch = 0;  // AUDIT_ARCH_*
};
std::optional<TrappedCall> trapped_call(pid_t tid);
// The ptrace backend's filter, which refuses nothing (its entry stops do):
// calls into the vsyscall page stop, and prctl(PR_GET_SECCOMP) (kSeccompModeTrap).
std::vector<sock_filter> ptrace_backend_filter();

// In the child: installs a filter (setting no_new_privs if that is needed).
// Returns 0 or an errno.
int install_filter(std::vector<sock_filter>& f);

// In the child, after its private root (if any) is set up (chroot done) and
// before the filter: namespaces, uid and capabilities as described above.
// `host_root`: rp runs as root in the initial user namespace. Returns 0 or an errno.
int confine_replay(bool host_root, bool private_root);

// The uid/gid a replay run as root switches to.
constexpr unsigned kReplayUid = 65534, kReplayGid = 65534;

}  // namespace rp
