// The decoders behind `rp dump`: each argument kind on synthetic events, and
// the consistency of decode/args.def with syscalls.def.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "decode/args.h"
#include "decode/decode.h"
#include "decode/xlat.h"
#include "syscall_table.h"

namespace rp::decode {
namespace {

Event call(int64_t nr, std::vector<uint64_t> args, int64_t ret) {
  Event e;
  e.nr = nr;
  for (size_t i = 0; i < args.size(); i++) e.args[i] = args[i];
  e.ret = ret;
  return e;
}

template <typename T>
std::string bytes(const T& v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

std::string text(const Event& e, const Options& o = {}) { return call_text(decode_call(e, o)); }

TEST(ArgsTable, EveryEntryNamesAKnownSyscallWithItsArgumentCount) {
  for (const ArgsSpec* a = args_specs_begin(); a != args_specs_end(); a++) {
    const SyscallSpec* s = syscall_spec_by_name(a->name);
    ASSERT_NE(s, nullptr) << a->name << " is not in syscalls.def";
    EXPECT_EQ(a->nargs, s->nargs()) << a->name;
  }
}

TEST(Xlat, FlagsNameMultiBitValuesFirstAndShowTheRestInHex) {
  EXPECT_EQ(flags_text(kOpenFlags, O_SYNC), "O_SYNC");  // not O_DSYNC|0x100000
  EXPECT_EQ(flags_text(kOpenFlags, O_CREAT | 0x40000000), "O_CREAT|0x40000000");
#if defined(__x86_64__)
  EXPECT_EQ(flags_text(kOpenFlags, 0x8000), "O_LARGEFILE");  // the kernel's bit, not glibc's 0
#endif
  EXPECT_EQ(flags_text(kProt, 0, "PROT_NONE"), "PROT_NONE");
  EXPECT_EQ(enum_text(kWhence, 77), "77");
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(34), "SIGRT_2");
}

TEST(Decode, OpenFlagsAndModeOnlyWithCreat) {
  Event e = call(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x10, O_WRONLY | O_CREAT | O_TRUNC, 0640}, 3);
  e.mem.push_back({0x10, "f.txt", true});
  EXPECT_EQ(text(e), "openat(AT_FDCWD, \"f.txt\", O_WRONLY|O_CREAT|O_TRUNC, 0640) = 3");
  e.args[2] = O_RDONLY | O_CLOEXEC | O_DIRECTORY;
  EXPECT_EQ(text(e), "openat(AT_FDCWD, \"f.txt\", O_RDONLY|O_DIRECTORY|O_CLOEXEC) = 3");
}

TEST(Decode, MmapProtAndFlagsAndHexResult) {
  Event e = call(SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                            static_cast<uint64_t>(-1), 0}, 0x7f0000001000);
  EXPECT_EQ(text(e), "mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000");
}

TEST(Decode, SocketEnums) {
  EXPECT_EQ(text(call(SYS_socket, {AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP}, 4)),
            "socket(AF_INET6, SOCK_DGRAM|SOCK_NONBLOCK, IPPROTO_UDP) = 4");
  EXPECT_EQ(text(call(SYS_socket, {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}, 4)),
            "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 4");
}

TEST(Decode, CloneFlagsWithExitSignal) {
  Event e = call(SYS_clone, {CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0, 0x10, 0}, 99);
  EXPECT_EQ(text(e), "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x10) = 99");
}

TEST(Decode, NamespaceFlagsHaveNoExitSignal) {
  EXPECT_EQ(text(call(SYS_unshare, {CLONE_NEWUSER | CLONE_NEWTIME}, 0)),
            "unshare(CLONE_NEWUSER|CLONE_NEWTIME) = 0");
}

TEST(Decode, IoctlFcntlFutexPrctl) {
  EXPECT_EQ(text(call(SYS_ioctl, {1, TCGETS, 0x50}, -ENOTTY)),
            "ioctl(1, TCGETS, 0x50) = -1 ENOTTY (Inappropriate ioctl for device)");
  EXPECT_EQ(text(call(SYS_ioctl, {1, _IOR('x', 3, int), 0x50}, -EINVAL)).substr(0, 39),
            "ioctl(1, _IOC(_IOC_READ, 0x78, 0x3, 0x4");
  EXPECT_EQ(text(call(SYS_fcntl, {3, F_SETFD, FD_CLOEXEC}, 0)), "fcntl(3, F_SETFD, FD_CLOEXEC) = 0");
  EXPECT_EQ(text(call(SYS_fcntl, {3, F_GETFL}, O_RDWR | O_APPEND)),
            "fcntl(3, F_GETFL) = 0x402 (flags O_RDWR|O_APPEND)");
  EXPECT_EQ(text(call(SYS_futex, {0x10, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, 0, 0, 0}, 0)),
            "futex(0x10, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0) = 0");
  EXPECT_EQ(text(call(SYS_futex, {0x10, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0}, 0)),
            "futex(0x10, FUTEX_WAKE_PRIVATE, 1) = 0");
  EXPECT_EQ(text(call(SYS_prctl, {PR_SET_DUMPABLE, 1, 0, 0, 0}, 0)),
            "prctl(PR_SET_DUMPABLE, 0x1) = 0");
  EXPECT_EQ(text(call(SYS_prctl, {PR_GET_DUMPABLE, 9, 9, 9, 9}, 1)), "prctl(PR_GET_DUMPABLE) = 1");
}

TEST(Decode, StatFromRecordedMemoryNotWhenTheCallFailed) {
  struct stat st {};
  st.st_mode = S_IFREG | 0644;
  st.st_size = 1234;
  Event e = call(SYS_fstat, {3, 0x100}, 0);
  e.mem.push_back({0x100, bytes(st), false});
  EXPECT_EQ(text(e), "fstat(3, {st_mode=S_IFREG|0644, st_size=1234, ...}) = 0");
  e.ret = -EBADF;
  EXPECT_EQ(text(e), "fstat(3, 0x100) = -1 EBADF (Bad file descriptor)");
}

TEST(Decode, Sockaddrs) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
  Event e = call(SYS_getsockname, {3, 0x100, 0x200}, 0);
  e.mem.push_back({0x100, bytes(in), false});
  e.mem.push_back({0x200, bytes(uint32_t{16}), false});
  EXPECT_EQ(text(e), "getsockname(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"10.1.2.3\")}, [16]) = 0");

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(53);
  in6.sin6_addr = in6addr_loopback;
  e.mem[0].bytes = bytes(in6);
  EXPECT_EQ(decode_call(e).args[1],
            "{sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), "
            "inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}");

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  strcpy(un.sun_path, "/run/x.sock");
  e.mem[0].bytes = bytes(un).substr(0, offsetof(sockaddr_un, sun_path) + 12);
  EXPECT_EQ(decode_call(e).args[1], "{sa_family=AF_UNIX, sun_path=\"/run/x.sock\"}");
  e.mem[0].bytes.mut()[2] = '\0';  // abstract namespace: the name is addrlen bytes, no NUL
  e.mem[0].bytes.mut().pop_back();
  EXPECT_EQ(decode_call(e).args[1], "{sa_family=AF_UNIX, sun_path=@\"run/x.sock\"}");
}

TEST(Decode, TimespecPollfdEpollEvents) {
  timespec ts{5, 250};
  Event e = call(SYS_clock_gettime, {CLOCK_MONOTONIC, 0x100}, 0);
  e.mem.push_back({0x100, bytes(ts), false});
  EXPECT_EQ(text(e), "clock_gettime(CLOCK_MONOTONIC, {tv_sec=5, tv_nsec=250}) = 0");

  pollfd p{4, POLLIN, POLLIN | POLLHUP};
  e = call(SYS_poll, {0x100, 1, 0}, 1);
  e.mem.push_back({0x100, bytes(p), false});
  EXPECT_EQ(text(e), "poll([{fd=4, events=POLLIN}], 1, 0) = 1 ([{fd=4, revents=POLLIN|POLLHUP}])");

  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 7;
  e = call(SYS_epoll_wait, {5, 0x100, 8, 0}, 1);
  e.mem.push_back({0x100, bytes(ev), false});
  EXPECT_EQ(text(e), "epoll_wait(5, [{events=EPOLLIN|EPOLLET, data={u32=7, u64=7}}], 8, 0) = 1");
}

TEST(Decode, SigactionSigsetWaitStatusPipe) {
  struct {
    uint64_t handler, flags, restorer, mask;
  } ka{1, SA_RESTART, 0, (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1))};
  Event e = call(SYS_rt_sigaction, {SIGUSR1, 0, 0x100, 8}, 0);
  e.mem.push_back({0x100, bytes(ka), false});
  EXPECT_EQ(text(e), "rt_sigaction(SIGUSR1, NULL, {sa_handler=SIG_IGN, sa_mask=[INT TERM], sa_flags=SA_RESTART}, 8) = 0");

  e = call(SYS_rt_sigprocmask, {SIG_BLOCK, 0x10, 0x100, 8}, 0);
  e.mem.push_back({0x100, bytes(~0ull & ~(1ull << (SIGKILL - 1))), false});
  EXPECT_EQ(decode_call(e).args[2], "~[KILL]");

  e = call(SYS_wait4, {static_cast<uint64_t>(-1), 0x100, 0, 0}, 42);
  e.mem.push_back({0x100, bytes(int{SIGSEGV | 0x80}), false});
  EXPECT_EQ(text(e), "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 42");

  e = call(SYS_pipe2, {0x100, O_CLOEXEC}, 0);
  int fds[2] = {3, 4};
  e.mem.push_back({0x100, bytes(fds), false});
  EXPECT_EQ(text(e), "pipe2([3, 4], O_CLOEXEC) = 0");
}

TEST(Decode, DataStringsAreEscapedAndLimited) {
  Event e = call(SYS_read, {3, 0x100, 64}, 7);
  e.mem.push_back({0x100, std::string("a\tb\001\0027\n", 7), false});
  EXPECT_EQ(text(e), "read(3, \"a\\tb\\1\\0027\\n\", 64) = 7");  // \002 before a digit keeps 3 digits
  Options o;
  o.string_limit = 3;
  EXPECT_EQ(text(e, o), "read(3, \"a\\tb\"..., 64) = 7");
  e.ret = 0;
  e.mem.clear();
  EXPECT_EQ(text(e), "read(3, \"\", 64) = 0");
}

TEST(Decode, FirstExecveFromTheTraceMetadata) {
  Event e = call(SYS_execve, {0, 0, 0}, 0);
  FirstExec fx{"/bin/echo", {"echo", "hi"}, 12};
  Options o;
  o.first_exec = &fx;
  EXPECT_EQ(text(e, o), "execve(\"/bin/echo\", [\"echo\", \"hi\"], /* 12 vars */) = 0");
  EXPECT_EQ(text(e), "execve(NULL, NULL, NULL) = 0");
}

TEST(Decode, ExitDoesNotReturn) {
  EXPECT_EQ(text(call(SYS_exit_group, {3}, 0)), "exit_group(3) = ?");
}

TEST(Decode, TraceClasses) {
  EXPECT_TRUE(classes_of(SYS_openat) & C_FILE);
  EXPECT_TRUE(classes_of(SYS_connect) & C_NETWORK);
  EXPECT_FALSE(classes_of(SYS_read) & C_FILE);
  EXPECT_TRUE(classes_of(SYS_unlink) & C_FILE);  // from args.def
  EXPECT_TRUE(classes_of(SYS_clone) & C_PROCESS);
  EXPECT_EQ(trace_class("%network"), C_NETWORK);
  EXPECT_EQ(trace_class("bogus"), 0);
}

TEST(Decode, Hexdump) {
  EXPECT_EQ(hexdump("hello\n"),
            " | 00000 68 65 6c 6c 6f 0a                                 hello.           |\n");
}

}  // namespace
}  // namespace rp::decode
