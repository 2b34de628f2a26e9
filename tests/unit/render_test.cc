// `rp dump` and divergence reports are what a user reads to understand a run:
// the text must be exact (strace-like) and must never garble binary data.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>

#include "render.h"

namespace rp {
namespace {

TEST(Render, ReturnValues) {
  EXPECT_EQ(render_return(0), "0");
  EXPECT_EQ(render_return(3), "3");
  EXPECT_EQ(render_return(-ENOENT), "-1 ENOENT (No such file or directory)");
  EXPECT_EQ(render_return(-EAGAIN), "-1 EAGAIN (Resource temporarily unavailable)");
  EXPECT_EQ(render_return(-EFAULT), "-1 EFAULT (Bad address)");
  // Addresses (mmap, brk) read better in hex.
  EXPECT_EQ(render_return(0x7f12345000), "0x7f12345000");
  // Below -4095 a negative value is not an errno.
  EXPECT_EQ(render_return(-4096), "-4096");
}

TEST(Render, RestartCodes) {
  EXPECT_EQ(render_return(-512), "? ERESTARTSYS (to be restarted)");
  EXPECT_EQ(render_return(-513), "? ERESTARTNOINTR (to be restarted)");
  EXPECT_EQ(render_return(-514), "? ERESTARTNOHAND (to be restarted)");
  EXPECT_EQ(render_return(-516), "? ERESTART_RESTARTBLOCK (to be restarted)");
}

TEST(Render, UnnamedErrnoDoesNotCrash) {
  std::string s = render_return(-4000);
  EXPECT_EQ(s.rfind("-1 ", 0), 0u) << s;
}

TEST(Render, Quote) {
  EXPECT_EQ(quote("plain"), "\"plain\"");
  EXPECT_EQ(quote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(quote("back\\slash"), "\"back\\\\slash\"");
  EXPECT_EQ(quote("l1\nl2\tx"), "\"l1\\nl2\\tx\"");
  EXPECT_EQ(quote(std::string("\x01\x7f\xff\0", 4)), "\"\\1\\177\\377\\0\"");
  EXPECT_EQ(quote(""), "\"\"");
  EXPECT_EQ(quote("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(quote("abc", 3), "\"abc\"");
}

TEST(Render, Bytes) {
  EXPECT_EQ(render_bytes(std::string("\x00\x0f\xa0\xff", 4), 16), "00 0f a0 ff");
  EXPECT_EQ(render_bytes("abcd", 2), "61 62 ...");
  EXPECT_EQ(render_bytes("", 4), "");
}

TEST(Render, WaitStatus) {
  EXPECT_EQ(render_wait_status(0), "exited with 0");
  EXPECT_EQ(render_wait_status(3 << 8), "exited with 3");
  EXPECT_EQ(render_wait_status(9), "killed by SIGKILL");
  EXPECT_EQ(render_wait_status(11 | 0x80), "killed by SIGSEGV (core dumped)");
}

Event syscall(int64_t nr, std::vector<uint64_t> args, int64_t ret) {
  Event e;
  e.seq = 7;
  e.tid = 1234;
  e.nr = nr;
  for (size_t i = 0; i < args.size(); i++) e.args[i] = args[i];
  e.ret = ret;
  return e;
}

TEST(Render, CallWithStringArgumentFromInputMemory) {
  Event e = syscall(SYS_openat, {static_cast<uint64_t>(-100), 0x5000, 0x80000, 0644}, 3);
  e.mem.push_back({0x5000, "/etc/passwd", true});
  EXPECT_EQ(render_call(e), "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3");
  EXPECT_EQ(render_call(e, false), "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC)");
}

TEST(Render, StringArgumentNeedsInputMemoryAtThatAddress) {
  Event e = syscall(SYS_openat, {5, 0x5000, 0, 0644}, -ENOENT);
  // Output bytes at the same address, or input at another, are not the path.
  e.mem.push_back({0x5000, "not me", false});
  e.mem.push_back({0x6000, "nor me", true});
  EXPECT_EQ(render_call(e), "openat(5, 0x5000, O_RDONLY) = -1 ENOENT (No such file or directory)");
}

TEST(Render, StringArgumentIsEscaped) {
  Event e = syscall(SYS_unlink, {0x5000}, 0);
  e.mem.push_back({0x5000, "we\"ird\nname", true});
  EXPECT_EQ(render_call(e), "unlink(\"we\\\"ird\\nname\") = 0");
}

TEST(Render, RestartSyscallShowsTheCallItContinues) {
  Event e = syscall(SYS_restart_syscall, {0x5000, 0x6000, 0, 0, 0, SYS_nanosleep}, -EINTR);
  std::string rem(16, '\0');
  rem[0] = 3;
  e.mem.push_back({0x6000, rem, false});
  EXPECT_EQ(render_call(e),
            "restart_syscall(<... resuming interrupted nanosleep(0x5000, {tv_sec=3, tv_nsec=0}) "
            "...>) = -1 EINTR (Interrupted system call)");
  // A trace naming restart_syscall itself, or nothing, as continued: the plain call.
  EXPECT_EQ(render_call(syscall(SYS_restart_syscall, {0, 0, 0, 0, 0, SYS_restart_syscall}, 0)),
            "restart_syscall() = 0");
  EXPECT_EQ(render_call(syscall(SYS_restart_syscall, {}, 0)), "restart_syscall() = 0");
}

TEST(Render, ArgumentKinds) {
  EXPECT_EQ(render_call(syscall(SYS_read, {3, 0x7ffd1000, 4096}, 17)),
            "read(3, 0x7ffd1000, 4096) = 17");
  EXPECT_EQ(render_call(syscall(SYS_fstat, {1, 0}, -EBADF)),
            "fstat(1, NULL) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(render_call(syscall(SYS_lseek, {3, static_cast<uint64_t>(-10), 2}, 90)),
            "lseek(3, -10, SEEK_END) = 90");
  EXPECT_EQ(render_call(syscall(SYS_getpid, {}, 4242)), "getpid() = 4242");
}

TEST(Render, UnknownSyscallShowsNumberAndSixArguments) {
  std::string s = render_call(syscall(1000, {1, 2, 3, 4, 5, 6}, 0));
  EXPECT_EQ(s.rfind("syscall_1000(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = 0", 0), 0u) << s;
  EXPECT_NE(s.find("unknown"), std::string::npos) << s;
}

TEST(Render, Events) {
  std::string s = render_event(syscall(SYS_getpid, {}, 5));
  EXPECT_NE(s.find("7"), std::string::npos);
  EXPECT_NE(s.find("1234"), std::string::npos);
  EXPECT_NE(s.find("getpid() = 5"), std::string::npos) << s;
  Event made = syscall(SYS_getpid, {}, 5);
  made.extra = kEmulatedByTracer;  // PTRACE_SYSEMU: its tracer's result, not the kernel's
  EXPECT_NE(render_event(made).find("getpid() = 5 <made by its tracer (PTRACE_SYSEMU)>"),
            std::string::npos)
      << render_event(made);
  EXPECT_EQ(s.find("made by its tracer"), std::string::npos) << s;

  Event x;
  x.seq = 9;
  x.tid = 1234;
  x.kind = EventKind::kTaskExit;
  x.ret = 11;
  EXPECT_NE(render_event(x).find("+++ killed by SIGSEGV +++"), std::string::npos)
      << render_event(x);

  Event sig;
  sig.kind = EventKind::kSignal;
  sig.nr = 11;
  SignalExtra extra{};
  int32_t code = 1;  // SEGV_MAPERR
  std::memcpy(extra.siginfo + 8, &code, 4);
  extra.at_syscall = 0;
  sig.extra.assign(reinterpret_cast<const char*>(&extra), sizeof extra);
  std::string r = render_event(sig);
  EXPECT_NE(r.find("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} in user code ---"),
            std::string::npos)
      << r;
  extra.disposition = kSigHeld;  // a fault stop held for the thread's tracer
  sig.extra.assign(reinterpret_cast<const char*>(&extra), sizeof extra);
  r = render_event(sig);
  EXPECT_NE(r.find("in user code, stopped for its tracer (not delivered) ---"), std::string::npos)
      << r;
  sig.extra.clear();  // short or missing extra must not be read
  EXPECT_NE(render_event(sig).find("--- SIGSEGV ---"), std::string::npos) << render_event(sig);
}

// Realtime signals have no abbreviation: naming them must not crash replay,
// which builds its "the trace expects SIG..." text before every delivery.
TEST(Render, SignalNamesIncludingRealtime) {
  EXPECT_EQ(render_signal(SIGUSR1), "SIGUSR1");
  EXPECT_FALSE(render_signal(34).empty());
  EXPECT_FALSE(render_signal(64).empty());
}

}  // namespace
}  // namespace rp
