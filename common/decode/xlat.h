// Named constants for `rp dump`: value -> name tables (like strace's xlat
// tables), built from the C and kernel uapi headers' own macros so a value
// is never typed twice. Each table lists multi-bit names before the bits
// they contain (O_SYNC before O_DSYNC).
#pragma once
#include <cstdint>
#include <span>
#include <string>

// glibc hides the kernel's SA_RESTORER (it installs its own restorer); the
// value is the same on x86_64 and arm64 (asm/signal.h, asm-generic/signal.h).
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

namespace rp::decode {

struct Named {
  uint64_t value;
  const char* name;
};
using Table = std::span<const Named>;

// "A|B|0x40": the names of the set bits, any rest in hex; `zero` for 0.
std::string flags_text(Table t, uint64_t v, const char* zero = "0");
// The name of v, or v in decimal (as strace prints unknown enum values).
std::string enum_text(Table t, uint64_t v);
// The name of v, or nullptr.
const char* enum_name(Table t, uint64_t v);

// "SIGINT", "SIGRTMIN+2", or the number.
std::string signal_name(int64_t sig);

extern const Table kOpenFlags;       // O_* except the access mode
extern const Table kOpenAccess;      // O_RDONLY O_WRONLY O_RDWR
extern const Table kAtFlags;         // AT_*
extern const Table kAccessModes;     // R_OK W_OK X_OK
extern const Table kProt;            // PROT_*
extern const Table kMapType;         // MAP_SHARED MAP_PRIVATE MAP_SHARED_VALIDATE
extern const Table kMapFlags;        // MAP_* flags
extern const Table kMremapFlags;     // MREMAP_*
extern const Table kMadvise;         // MADV_*
extern const Table kAddressFamilies; // AF_*
extern const Table kSockTypes;       // SOCK_STREAM ...
extern const Table kSockTypeFlags;   // SOCK_NONBLOCK SOCK_CLOEXEC
extern const Table kIpProtos;        // IPPROTO_*
extern const Table kSockLevels;      // SOL_SOCKET, IPPROTO_TCP ...
extern const Table kSocketOptions;   // SO_*
extern const Table kMsgFlags;        // MSG_*
extern const Table kShutdownHow;     // SHUT_*
extern const Table kCloneFlags;      // CLONE_*
extern const Table kIoctls;          // terminal and file ioctl requests
extern const Table kFcntlCmds;       // F_*
extern const Table kFdFlags;         // FD_CLOEXEC
extern const Table kPrctlOps;        // PR_*
extern const Table kArchPrctlCodes;  // ARCH_*
extern const Table kFutexCmds;       // FUTEX_* command (without the modifier bits)
extern const Table kSigprocmaskHow;  // SIG_BLOCK ...
extern const Table kSigactionFlags;  // SA_*
extern const Table kWhence;          // SEEK_*
extern const Table kClocks;          // CLOCK_*
extern const Table kWaitOptions;     // WNOHANG ...
extern const Table kEpollOps;        // EPOLL_CTL_*
extern const Table kEpollCreateFlags;  // EPOLL_CLOEXEC
extern const Table kEventfdFlags;    // EFD_*
extern const Table kEpollEvents;     // EPOLL*
extern const Table kPollEvents;      // POLL*
extern const Table kRlimits;         // RLIMIT_*
extern const Table kRandomFlags;     // GRND_*
extern const Table kMemfdFlags;      // MFD_*
extern const Table kFileTypes;       // S_IFREG ... (st_mode & S_IFMT)

}  // namespace rp::decode
