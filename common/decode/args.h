// How `rp dump` prints each argument of a syscall: a decoder kind per
// argument, a result kind and strace's trace classes, from args.def (keyed
// by the syscall's name in syscalls.def). Syscalls args.def does not list
// fall back to syscalls.def's letters.
#pragma once
#include <cstdint>
#include <string_view>

namespace rp::decode {

enum ArgKind : uint8_t {
  // plain values
  A_INT, A_LONG, A_UINT, A_HEX, A_MODE, A_PTR, A_FD, A_DIRFD,
  // strings the syscall read (recorded as input memory)
  A_PATH,
  // flags and enums
  A_OPEN_FLAGS, A_OPEN_MODE, A_AT_FLAGS, A_ACCESS_MODE, A_PROT, A_MAP_FLAGS, A_MREMAP_FLAGS,
  A_MADVISE, A_FAMILY, A_SOCK_TYPE, A_SOCK_PROTO, A_SOCK_FLAGS, A_SOCK_LEVEL, A_SOCK_OPT,
  A_MSG_FLAGS, A_SHUTDOWN, A_SIGNAL, A_CLONE_FLAGS, A_IOCTL_REQ, A_IOCTL_ARG, A_FCNTL_CMD,
  A_FCNTL_ARG, A_PRCTL_OP, A_ARCH_PRCTL, A_FUTEX_OP, A_SIGMASK_HOW, A_WHENCE, A_CLOCK,
  A_WAIT_OPTIONS, A_EPOLL_OP, A_RLIMIT, A_RANDOM_FLAGS, A_MEMFD_FLAGS, A_FD_FLAGS,
  A_EPOLL_FLAGS, A_EVENTFD_FLAGS, A_NS_FLAGS,
  // memory the kernel wrote (recorded); the pointer when it was not recorded
  A_DATA, A_CSTR_OUT, A_STAT, A_STATX, A_SOCKADDR, A_SOCKLEN, A_TIMESPEC, A_TIMEVAL,
  A_POLLFDS, A_EPOLL_EVENTS, A_SIGACTION, A_SIGSET, A_INT_PTR, A_FD_PAIR, A_WAIT_STATUS,
  A_MSGHDR, A_IOV, A_DIRENTS, A_UTSNAME, A_RLIMIT_OUT,
  // execve's vectors (known for the traced command's own first execve)
  A_ARGV, A_ENVP,
};

// R_NONE: the call does not return (exit): "= ?" as strace prints.
enum RetKind : uint8_t { R_DEFAULT, R_HEX, R_FD, R_MODE, R_FCNTL, R_NONE };

// strace's -e trace=%CLASS sets.
enum TraceClass : uint16_t {
  C_NONE = 0, C_FILE = 1, C_DESC = 2, C_NETWORK = 4, C_PROCESS = 8, C_SIGNAL = 16, C_IPC = 32,
  C_MEMORY = 64, C_CREDS = 128, C_CLOCK = 256,
};

struct ArgsSpec {
  const char* name;
  uint16_t classes;
  RetKind ret;
  int nargs;
  ArgKind args[6];
};

const ArgsSpec* args_spec(std::string_view syscall_name);
const ArgsSpec* args_specs_begin();
const ArgsSpec* args_specs_end();
// "file" or "%file" -> C_FILE; 0 if unknown.
uint16_t trace_class(std::string_view name);

}  // namespace rp::decode
