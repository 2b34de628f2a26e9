#include "decode/xlat.h"

#if defined(__x86_64__)
#include <asm/prctl.h>  // ARCH_* (x86 only)
#endif
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstring>

namespace rp::decode {

extern const uint64_t kKernelLargefile;  // kernel_flags.cc

// One entry from a macro: the header's value under the header's name.
#define N(x) Named{static_cast<uint64_t>(x), #x}

namespace {

constexpr Named open_access[] = {N(O_RDONLY), N(O_WRONLY), N(O_RDWR)};
const Named open_flags[] = {
    N(O_CREAT),   N(O_EXCL),     N(O_NOCTTY),    N(O_TRUNC),    N(O_APPEND),  N(O_NONBLOCK),
    N(O_SYNC),    N(O_DSYNC),    N(O_ASYNC),     N(O_DIRECT),   N(O_TMPFILE), N(O_DIRECTORY),
    N(O_NOFOLLOW), N(O_NOATIME), N(O_CLOEXEC),   N(O_PATH),
    Named{kKernelLargefile, "O_LARGEFILE"}};
constexpr Named at_flags[] = {N(AT_SYMLINK_NOFOLLOW), N(AT_REMOVEDIR),  N(AT_SYMLINK_FOLLOW),
                              N(AT_NO_AUTOMOUNT),     N(AT_EMPTY_PATH), N(AT_STATX_FORCE_SYNC),
                              N(AT_STATX_DONT_SYNC),  N(AT_RECURSIVE)};
constexpr Named access_modes[] = {N(R_OK), N(W_OK), N(X_OK)};
constexpr Named prot[] = {N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC), N(PROT_GROWSDOWN),
                          N(PROT_GROWSUP)};
constexpr Named map_type[] = {N(MAP_SHARED), N(MAP_PRIVATE), N(MAP_SHARED_VALIDATE)};
constexpr Named map_flags[] = {
    N(MAP_FIXED),    N(MAP_ANONYMOUS),
#ifdef MAP_32BIT
    N(MAP_32BIT),
#endif
    N(MAP_GROWSDOWN), N(MAP_DENYWRITE),
    N(MAP_EXECUTABLE), N(MAP_LOCKED),  N(MAP_NORESERVE), N(MAP_POPULATE), N(MAP_NONBLOCK),
    N(MAP_STACK),    N(MAP_HUGETLB),   N(MAP_SYNC),   N(MAP_FIXED_NOREPLACE)};
constexpr Named mremap_flags[] = {N(MREMAP_MAYMOVE), N(MREMAP_FIXED), N(MREMAP_DONTUNMAP)};
constexpr Named madvise[] = {
    N(MADV_NORMAL),   N(MADV_RANDOM),    N(MADV_SEQUENTIAL), N(MADV_WILLNEED), N(MADV_DONTNEED),
    N(MADV_FREE),     N(MADV_REMOVE),    N(MADV_DONTFORK),   N(MADV_DOFORK),   N(MADV_MERGEABLE),
    N(MADV_UNMERGEABLE), N(MADV_HUGEPAGE), N(MADV_NOHUGEPAGE), N(MADV_DONTDUMP), N(MADV_DODUMP),
    N(MADV_WIPEONFORK), N(MADV_KEEPONFORK), N(MADV_COLD),   N(MADV_PAGEOUT),  N(MADV_HWPOISON)};
constexpr Named families[] = {N(AF_UNSPEC), N(AF_UNIX),   N(AF_INET),   N(AF_INET6),
                              N(AF_NETLINK), N(AF_PACKET), N(AF_BLUETOOTH), N(AF_ALG),
                              N(AF_VSOCK)};
constexpr Named sock_types[] = {N(SOCK_STREAM), N(SOCK_DGRAM),     N(SOCK_RAW),
                                N(SOCK_RDM),    N(SOCK_SEQPACKET), N(SOCK_PACKET)};
constexpr Named sock_type_flags[] = {N(SOCK_NONBLOCK), N(SOCK_CLOEXEC)};
constexpr Named ip_protos[] = {N(IPPROTO_IP),   N(IPPROTO_ICMP), N(IPPROTO_TCP),
                               N(IPPROTO_UDP),  N(IPPROTO_IPV6), N(IPPROTO_ICMPV6),
                               N(IPPROTO_SCTP), N(IPPROTO_RAW)};
constexpr Named sock_levels[] = {N(SOL_SOCKET), N(IPPROTO_IP), N(IPPROTO_TCP), N(IPPROTO_UDP),
                                 N(IPPROTO_IPV6)};
constexpr Named socket_options[] = {
    N(SO_DEBUG),    N(SO_REUSEADDR), N(SO_TYPE),     N(SO_ERROR),     N(SO_DONTROUTE),
    N(SO_BROADCAST), N(SO_SNDBUF),   N(SO_RCVBUF),   N(SO_KEEPALIVE), N(SO_OOBINLINE),
    N(SO_LINGER),   N(SO_REUSEPORT), N(SO_PASSCRED), N(SO_PEERCRED),  N(SO_RCVLOWAT),
    N(SO_SNDLOWAT), N(SO_RCVTIMEO_OLD), N(SO_SNDTIMEO_OLD), N(SO_ACCEPTCONN), N(SO_PROTOCOL),
    N(SO_DOMAIN)};
constexpr Named msg_flags[] = {
    N(MSG_OOB),      N(MSG_PEEK),    N(MSG_DONTROUTE), N(MSG_CTRUNC),   N(MSG_PROXY),
    N(MSG_TRUNC),    N(MSG_DONTWAIT), N(MSG_EOR),      N(MSG_WAITALL),  N(MSG_FIN),
    N(MSG_SYN),      N(MSG_CONFIRM), N(MSG_RST),       N(MSG_ERRQUEUE), N(MSG_NOSIGNAL),
    N(MSG_MORE),     N(MSG_WAITFORONE), N(MSG_FASTOPEN), N(MSG_CMSG_CLOEXEC)};
constexpr Named shutdown_how[] = {N(SHUT_RD), N(SHUT_WR), N(SHUT_RDWR)};
constexpr Named clone_flags[] = {
    N(CLONE_VM),       N(CLONE_FS),       N(CLONE_FILES),    N(CLONE_SIGHAND),
    N(CLONE_PIDFD),    N(CLONE_PTRACE),   N(CLONE_VFORK),    N(CLONE_PARENT),
    N(CLONE_THREAD),   N(CLONE_NEWNS),    N(CLONE_SYSVSEM),  N(CLONE_SETTLS),
    N(CLONE_PARENT_SETTID), N(CLONE_CHILD_CLEARTID), N(CLONE_DETACHED), N(CLONE_UNTRACED),
    N(CLONE_CHILD_SETTID), N(CLONE_NEWCGROUP), N(CLONE_NEWUTS), N(CLONE_NEWIPC),
    N(CLONE_NEWUSER),  N(CLONE_NEWPID),   N(CLONE_NEWNET),   N(CLONE_IO),
    N(CLONE_NEWTIME)};
constexpr Named ioctls[] = {
    N(TCGETS),     N(TCSETS),     N(TCSETSW),    N(TCSETSF),    N(TCGETA),     N(TCSETA),
    N(TCSETAW),    N(TCSETAF),    N(TCSBRK),     N(TCXONC),     N(TCFLSH),     N(TIOCEXCL),
    N(TIOCNXCL),   N(TIOCSCTTY),  N(TIOCGPGRP),  N(TIOCSPGRP),  N(TIOCOUTQ),   N(TIOCSTI),
    N(TIOCGWINSZ), N(TIOCSWINSZ), N(TIOCMGET),   N(TIOCMSET),   N(FIONREAD),   N(TIOCLINUX),
    N(TIOCCONS),   N(FIONBIO),    N(TIOCNOTTY),  N(TIOCSETD),   N(TIOCGETD),   N(TIOCGSID),
    N(TIOCGPTN),   N(TIOCSPTLCK),
    N(TIOCGPTPEER), N(FIONCLEX),  N(FIOCLEX),    N(FIOASYNC),   N(TIOCGPKT),   N(TIOCGPTLCK),
    N(TIOCGSOFTCAR), N(TIOCSSOFTCAR), N(TIOCGSERIAL), N(TIOCSSERIAL), N(TIOCGLCKTRMIOS),
    N(TIOCSLCKTRMIOS), N(TIOCGICOUNT), N(FIOQSIZE), N(FIOSETOWN), N(FIOGETOWN),
    N(SIOCSPGRP),  N(SIOCGPGRP),  N(SIOCATMARK), N(SIOCGSTAMP), N(SIOCGSTAMPNS),
    N(SIOCGIFNAME), N(SIOCGIFCONF), N(SIOCGIFFLAGS), N(SIOCSIFFLAGS), N(SIOCGIFADDR),
    N(SIOCGIFDSTADDR), N(SIOCGIFBRDADDR), N(SIOCGIFNETMASK), N(SIOCGIFMETRIC),
    N(SIOCGIFMTU), N(SIOCSIFMTU), N(SIOCGIFHWADDR), N(SIOCGIFINDEX), N(SIOCGIFPFLAGS),
    N(SIOCGIFTXQLEN), N(SIOCGIFMAP), N(SIOCOUTQNSD), N(FS_IOC_FIEMAP), N(FS_IOC_GETFLAGS),
    N(FS_IOC_SETFLAGS), N(FS_IOC_GETVERSION)};
constexpr Named fcntl_cmds[] = {
    N(F_DUPFD),    N(F_GETFD),    N(F_SETFD),     N(F_GETFL),     N(F_SETFL),
    N(F_GETLK),    N(F_SETLK),    N(F_SETLKW),    N(F_SETOWN),    N(F_GETOWN),
    N(F_SETSIG),   N(F_GETSIG),   N(F_SETOWN_EX), N(F_GETOWN_EX), N(F_OFD_GETLK),
    N(F_OFD_SETLK), N(F_OFD_SETLKW), N(F_SETLEASE), N(F_GETLEASE), N(F_NOTIFY),
    N(F_DUPFD_CLOEXEC), N(F_SETPIPE_SZ), N(F_GETPIPE_SZ), N(F_ADD_SEALS), N(F_GET_SEALS)};
constexpr Named fd_flags[] = {N(FD_CLOEXEC)};
constexpr Named prctl_ops[] = {
    N(PR_SET_PDEATHSIG), N(PR_GET_PDEATHSIG), N(PR_GET_DUMPABLE), N(PR_SET_DUMPABLE),
    N(PR_GET_KEEPCAPS),  N(PR_SET_KEEPCAPS),  N(PR_SET_NAME),     N(PR_GET_NAME),
    N(PR_GET_SECCOMP),   N(PR_SET_SECCOMP),   N(PR_CAPBSET_READ), N(PR_CAPBSET_DROP),
    N(PR_GET_TSC),       N(PR_SET_TSC),       N(PR_SET_TIMERSLACK), N(PR_GET_TIMERSLACK),
    N(PR_SET_MM),        N(PR_SET_PTRACER),   N(PR_SET_CHILD_SUBREAPER),
    N(PR_GET_CHILD_SUBREAPER), N(PR_SET_NO_NEW_PRIVS), N(PR_GET_NO_NEW_PRIVS),
    N(PR_SET_THP_DISABLE), N(PR_GET_THP_DISABLE), N(PR_CAP_AMBIENT), N(PR_SET_VMA)};
#if defined(__x86_64__)
constexpr Named arch_prctl_codes[] = {N(ARCH_SET_GS), N(ARCH_SET_FS), N(ARCH_GET_FS),
                                      N(ARCH_GET_GS), N(ARCH_GET_CPUID), N(ARCH_SET_CPUID)};
#endif
constexpr Named futex_cmds[] = {
    N(FUTEX_WAIT),        N(FUTEX_WAKE),        N(FUTEX_FD),            N(FUTEX_REQUEUE),
    N(FUTEX_CMP_REQUEUE), N(FUTEX_WAKE_OP),     N(FUTEX_LOCK_PI),       N(FUTEX_UNLOCK_PI),
    N(FUTEX_TRYLOCK_PI),  N(FUTEX_WAIT_BITSET), N(FUTEX_WAKE_BITSET),   N(FUTEX_WAIT_REQUEUE_PI),
    N(FUTEX_CMP_REQUEUE_PI), N(FUTEX_LOCK_PI2)};
constexpr Named sigprocmask_how[] = {N(SIG_BLOCK), N(SIG_UNBLOCK), N(SIG_SETMASK)};
constexpr Named sigaction_flags[] = {N(SA_NOCLDSTOP), N(SA_NOCLDWAIT), N(SA_SIGINFO),
                                     N(SA_RESTORER),  N(SA_ONSTACK),   N(SA_RESTART),
                                     N(SA_NODEFER),   N(SA_RESETHAND)};
constexpr Named whence[] = {N(SEEK_SET), N(SEEK_CUR), N(SEEK_END), N(SEEK_DATA), N(SEEK_HOLE)};
constexpr Named clocks[] = {
    N(CLOCK_REALTIME),       N(CLOCK_MONOTONIC),      N(CLOCK_PROCESS_CPUTIME_ID),
    N(CLOCK_THREAD_CPUTIME_ID), N(CLOCK_MONOTONIC_RAW), N(CLOCK_REALTIME_COARSE),
    N(CLOCK_MONOTONIC_COARSE), N(CLOCK_BOOTTIME),     N(CLOCK_REALTIME_ALARM),
    N(CLOCK_BOOTTIME_ALARM), N(CLOCK_TAI)};
constexpr Named wait_options[] = {N(WNOHANG),  N(WUNTRACED), N(WEXITED),    N(WCONTINUED),
                                  N(WNOWAIT),  N(__WNOTHREAD), N(__WALL),   N(__WCLONE)};
constexpr Named epoll_create_flags[] = {N(EPOLL_CLOEXEC)};
constexpr Named eventfd_flags[] = {N(EFD_SEMAPHORE), N(EFD_CLOEXEC), N(EFD_NONBLOCK)};
constexpr Named epoll_ops[] = {N(EPOLL_CTL_ADD), N(EPOLL_CTL_DEL), N(EPOLL_CTL_MOD)};
constexpr Named epoll_events[] = {
    N(EPOLLIN),     N(EPOLLPRI),    N(EPOLLOUT),    N(EPOLLERR),      N(EPOLLHUP),
    N(EPOLLRDNORM), N(EPOLLRDBAND), N(EPOLLWRNORM),   N(EPOLLWRBAND),
    N(EPOLLMSG),    N(EPOLLRDHUP),  N(EPOLLEXCLUSIVE), N(EPOLLWAKEUP), N(EPOLLONESHOT),
    N(EPOLLET)};
constexpr Named poll_events[] = {N(POLLIN),     N(POLLPRI),    N(POLLOUT),    N(POLLERR),
                                 N(POLLHUP),    N(POLLNVAL),   N(POLLRDNORM), N(POLLRDBAND),
                                 N(POLLWRNORM), N(POLLWRBAND), N(POLLMSG),    N(POLLRDHUP)};
constexpr Named rlimits[] = {
    N(RLIMIT_CPU),    N(RLIMIT_FSIZE),  N(RLIMIT_DATA),    N(RLIMIT_STACK),  N(RLIMIT_CORE),
    N(RLIMIT_RSS),    N(RLIMIT_NPROC),  N(RLIMIT_NOFILE),  N(RLIMIT_MEMLOCK), N(RLIMIT_AS),
    N(RLIMIT_LOCKS),  N(RLIMIT_SIGPENDING), N(RLIMIT_MSGQUEUE), N(RLIMIT_NICE),
    N(RLIMIT_RTPRIO), N(RLIMIT_RTTIME)};
constexpr Named random_flags[] = {N(GRND_NONBLOCK), N(GRND_RANDOM), N(GRND_INSECURE)};
constexpr Named memfd_flags[] = {N(MFD_CLOEXEC), N(MFD_ALLOW_SEALING), N(MFD_HUGETLB)};
constexpr Named file_types[] = {N(S_IFSOCK), N(S_IFLNK), N(S_IFREG), N(S_IFBLK),
                                N(S_IFDIR),  N(S_IFCHR), N(S_IFIFO)};

}  // namespace

#undef N

const Table kOpenFlags = open_flags;
const Table kOpenAccess = open_access;
const Table kAtFlags = at_flags;
const Table kAccessModes = access_modes;
const Table kProt = prot;
const Table kMapType = map_type;
const Table kMapFlags = map_flags;
const Table kMremapFlags = mremap_flags;
const Table kMadvise = madvise;
const Table kAddressFamilies = families;
const Table kSockTypes = sock_types;
const Table kSockTypeFlags = sock_type_flags;
const Table kIpProtos = ip_protos;
const Table kSockLevels = sock_levels;
const Table kSocketOptions = socket_options;
const Table kMsgFlags = msg_flags;
const Table kShutdownHow = shutdown_how;
const Table kCloneFlags = clone_flags;
const Table kIoctls = ioctls;
const Table kFcntlCmds = fcntl_cmds;
const Table kFdFlags = fd_flags;
const Table kPrctlOps = prctl_ops;
#if defined(__x86_64__)
const Table kArchPrctlCodes = arch_prctl_codes;
#else
const Table kArchPrctlCodes = {};  // arch_prctl is x86 only
#endif
const Table kFutexCmds = futex_cmds;
const Table kSigprocmaskHow = sigprocmask_how;
const Table kSigactionFlags = sigaction_flags;
const Table kWhence = whence;
const Table kClocks = clocks;
const Table kWaitOptions = wait_options;
const Table kEpollOps = epoll_ops;
const Table kEpollCreateFlags = epoll_create_flags;
const Table kEventfdFlags = eventfd_flags;
const Table kEpollEvents = epoll_events;
const Table kPollEvents = poll_events;
const Table kRlimits = rlimits;
const Table kRandomFlags = random_flags;
const Table kMemfdFlags = memfd_flags;
const Table kFileTypes = file_types;

std::string flags_text(Table t, uint64_t v, const char* zero) {
  if (v == 0) return zero;
  std::string out;
  for (const auto& n : t) {
    if (n.value == 0 || (v & n.value) != n.value) continue;
    out += (out.empty() ? "" : "|") + std::string(n.name);
    v &= ~n.value;
  }
  if (v) {
    char b[32];
    snprintf(b, sizeof b, "%#" PRIx64, v);
    out += (out.empty() ? "" : "|") + std::string(b);
  }
  return out;
}

const char* enum_name(Table t, uint64_t v) {
  for (const auto& n : t)
    if (n.value == v) return n.name;
  return nullptr;
}

std::string enum_text(Table t, uint64_t v) {
  const char* n = enum_name(t, v);
  return n ? n : std::to_string(static_cast<int64_t>(v));
}

std::string signal_name(int64_t sig) {
  // The kernel's numbering (strace's names): 32 is the first real-time signal.
  constexpr int kRtMin = 32;
  if (sig > 0 && sig < kRtMin) {
    if (const char* n = sigabbrev_np(static_cast<int>(sig))) return std::string("SIG") + n;
  }
  if (sig == kRtMin) return "SIGRTMIN";
  if (sig > kRtMin && sig <= 64) return "SIGRT_" + std::to_string(sig - kRtMin);
  return std::to_string(sig);
}

}  // namespace rp::decode
