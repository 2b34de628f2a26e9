// The gdb protocol layer against a fake program: framing and acks, escapes,
// qXfer chunks, resume packets; and the 'g' layout against ptrace's view of
// a real stopped child.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>

#include "gdb_regs.h"
#include "gdb_server.h"
#include "gdb_signals.h"

namespace rp {
namespace {

std::string frame(const std::string& payload) {
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  char tail[4];
  snprintf(tail, sizeof tail, "#%02x", sum & 0xff);
  return "$" + payload + tail;
}

class FakeProgram : public GdbBackend {
 public:
  std::map<uint64_t, char> mem;
  std::string regs = std::string(560, '\0');
  std::vector<std::tuple<int, uint64_t, int>> points;
  std::vector<std::pair<uint64_t, std::string>> writes;

  std::vector<pid_t> detached;

  std::vector<pid_t> threads() override { return {0x10, 0x2a}; }
  // Threads 0x10 and 0x2a are process 0x10; 0x30 is a fork child.
  pid_t process_of(pid_t tid) override { return tid == 0x30 ? 0x30 : 0x10; }
  bool detach_process(pid_t pid) override {
    detached.push_back(pid);
    return pid == 0x10;
  }
  pid_t current_thread() override { return 0x10; }
  std::vector<pid_t> reg_reads;  // the thread of each read_registers
  std::optional<std::string> read_registers(pid_t tid) override {
    reg_reads.push_back(tid);
    return regs;
  }
  bool write_registers(pid_t, const std::string& b) override {
    regs = b;
    return true;
  }
  std::string read_memory(uint64_t addr, size_t len) override {
    std::string out;
    for (uint64_t a = addr; a < addr + len && mem.count(a); a++) out += mem[a];
    return out;
  }
  bool write_memory(uint64_t addr, const std::string& b) override {
    writes.emplace_back(addr, b);
    return true;
  }
  int insert_point(int type, uint64_t addr, int len) override {
    if (type == 3) return 0;
    points.emplace_back(type, addr, len);
    return 1;
  }
  bool remove_point(int, uint64_t, int) override { return true; }
  std::optional<std::string> xfer(const std::string& object, const std::string&) override {
    if (object == "features") return std::string("0123456789abcdef");
    return std::nullopt;
  }
  std::string monitor(const std::string& c) override { return "got " + c + "\n"; }
};

// gdb's side of the connection: packets go in before serve() runs (the
// socket buffers them); serve() returns at the resume packet at their end.
class Session : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    gdb_fd_ = sv[1];
    conn_ = std::make_unique<GdbConnection>(sv[0]);
    server_ = std::make_unique<GdbServer>(*conn_, program_);
  }
  void TearDown() override {
    if (gdb_fd_ >= 0) close(gdb_fd_);
  }

  void send(const std::string& raw) {
    ASSERT_EQ(write(gdb_fd_, raw.data(), raw.size()), static_cast<ssize_t>(raw.size()));
  }
  // Sends packets (without acks), then `resume`; returns what serve() returned.
  GdbResume exchange(const std::vector<std::string>& packets, const std::string& resume = "c") {
    std::string raw = frame("QStartNoAckMode");
    for (const auto& p : packets) raw += frame(p);
    send(raw + frame(resume));
    return server_->serve("T05thread:10;");
  }
  std::string received() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = recv(gdb_fd_, buf, sizeof buf, MSG_DONTWAIT)) > 0) out.append(buf, (size_t)n);
    return out;
  }
  // The payloads of the reply frames, after the QStartNoAckMode OK.
  std::vector<std::string> replies() {
    std::string raw = received();
    std::vector<std::string> out;
    size_t at = 0;
    while ((at = raw.find('$', at)) != std::string::npos) {
      size_t hash = raw.find('#', at);
      EXPECT_EQ(frame(raw.substr(at + 1, hash - at - 1)), raw.substr(at, hash + 3 - at));
      out.push_back(raw.substr(at + 1, hash - at - 1));
      at = hash + 3;
    }
    EXPECT_FALSE(out.empty());
    EXPECT_EQ(out[0], "OK");
    out.erase(out.begin());
    return out;
  }

  FakeProgram program_;
  int gdb_fd_ = -1;
  std::unique_ptr<GdbConnection> conn_;
  std::unique_ptr<GdbServer> server_;
};

TEST_F(Session, AcknowledgesGoodPacketsAndRejectsBadChecksums) {
  std::string bad = frame("qC");
  bad[bad.size() - 1] ^= 1;
  send(frame("qC") + bad + frame("c"));
  EXPECT_EQ(server_->serve("T05thread:10;").kind, GdbResume::kContinue);
  EXPECT_EQ(received(), "+" + frame("QC10") + "-+");
}

TEST_F(Session, AdvertisesWhatRpDoes) {
  exchange({"qSupported:multiprocess+;swbreak+", "vCont?", "?", "qfThreadInfo", "qsThreadInfo",
            "qAttached"});
  auto r = replies();
  ASSERT_EQ(r.size(), 6u);
  for (const char* f : {"qXfer:features:read+", "qXfer:auxv:read+", "qXfer:exec-file:read+",
                        "swbreak+", "ReverseContinue+", "ReverseStep+", "vContSupported+"})
    EXPECT_NE(r[0].find(f), std::string::npos) << f;
  EXPECT_EQ(r[1], "vCont;c;C;s;S");
  EXPECT_EQ(r[2], "T05thread:10;");
  EXPECT_EQ(r[3], "m10,2a");
  EXPECT_EQ(r[4], "l");
  EXPECT_EQ(r[5], "0");
}

// gdb's multiprocess ids (pPID.TID) come with fork events, and only then.
TEST_F(Session, ForkEventsUseProcessIds) {
  auto a = exchange({"qSupported:multiprocess+;fork-events+;vfork-events+", "qC", "?",
                     "qfThreadInfo", "Hgp30.30", "z0,5000,1", "Hgp10.10", "Z0,6000,1", "D;30"});
  auto r = replies();
  ASSERT_EQ(r.size(), 9u);
  EXPECT_NE(r[0].find(";multiprocess+;fork-events+"), std::string::npos) << r[0];
  EXPECT_NE(r[0].find(";vfork-events+"), std::string::npos) << r[0];
  EXPECT_EQ(r[1], "QCp10.10");
  EXPECT_EQ(r[2], "T05thread:p10.10;");
  EXPECT_EQ(r[3], "mp10.10,p10.2a");
  EXPECT_EQ(r[5], "OK");  // the child's breakpoint: nothing to do here
  EXPECT_EQ(r[7], "OK");
  ASSERT_EQ(program_.points.size(), 1u);  // only the debugged process's
  EXPECT_EQ(program_.points[0], std::make_tuple(0, uint64_t{0x6000}, 1));
  EXPECT_EQ(r[8], "OK");
  EXPECT_EQ(program_.detached, std::vector<pid_t>{0x30});
  EXPECT_EQ(a.kind, GdbResume::kContinue);  // D;30 did not end the session
  send(frame("c"));
  server_->serve("T05fork:30;thread:2a;");
  EXPECT_NE(received().find(frame("T05fork:p30.30;thread:p10.2a;")), std::string::npos);
  send(frame("c"));
  server_->serve("T05vfork:30;thread:2a;");
  EXPECT_NE(received().find(frame("T05vfork:p30.30;thread:p10.2a;")), std::string::npos);
}

TEST_F(Session, VforkEventsOnlyWhenAsked) {
  exchange({"qSupported:multiprocess+;fork-events+"});
  auto r = replies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NE(r[0].find(";fork-events+"), std::string::npos) << r[0];
  EXPECT_EQ(r[0].find("vfork-events+"), std::string::npos) << r[0];
}

TEST_F(Session, DetachingTheDebuggedProcessEndsTheSession) {
  std::string raw = frame("QStartNoAckMode") +
                    frame("qSupported:multiprocess+;fork-events+") + frame("D;10");
  send(raw);
  EXPECT_EQ(server_->serve("T05thread:10;").kind, GdbResume::kDetach);
}

TEST_F(Session, NoProcessIdsUnlessOffered) {
  server_->offer_fork_events(false);
  exchange({"qSupported:multiprocess+;fork-events+", "qC"});
  auto r = replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].find("fork-events+"), std::string::npos) << r[0];
  EXPECT_EQ(r[1], "QC10");
}

TEST_F(Session, MemoryReadsAndBinaryWrites) {
  program_.mem = {{0x1000, '\x01'}, {0x1001, '\xab'}};
  // In X packets '#', '$', '}' and '*' come escaped as '}' then c ^ 0x20.
  exchange({"m1000,2", "m1000,8", "m5000,4", "X2000,3:a}\x03" "b", "M3000,2:beef"});
  auto r = replies();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0], "01ab");
  EXPECT_EQ(r[1], "01ab");  // short read: what is readable
  EXPECT_EQ(r[2], "E01");
  EXPECT_EQ(r[3], "OK");
  EXPECT_EQ(r[4], "OK");
  ASSERT_EQ(program_.writes.size(), 2u);
  EXPECT_EQ(program_.writes[0], std::make_pair(uint64_t{0x2000}, std::string("a#b")));
  EXPECT_EQ(program_.writes[1], std::make_pair(uint64_t{0x3000}, std::string("\xbe\xef")));
}

TEST_F(Session, XferComesInChunks) {
  exchange({"qXfer:features:read:target.xml:0,a", "qXfer:features:read:target.xml:a,a",
            "qXfer:features:read:target.xml:10,a", "qXfer:libraries:read::0,10"});
  auto r = replies();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], "m0123456789");
  EXPECT_EQ(r[1], "labcdef");
  EXPECT_EQ(r[2], "l");
  EXPECT_EQ(r[3], "E00");
}

TEST_F(Session, RegistersByNumber) {
  auto rip = gdb_reg_slot(16);
  ASSERT_TRUE(rip);
  program_.regs.replace(rip->offset, 8, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
  exchange({"p10", "P10=0100000000000000", "p10", "p999"});
  auto r = replies();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], "1122334455667788");
  EXPECT_EQ(r[1], "OK");
  EXPECT_EQ(r[2], "0100000000000000");
  EXPECT_EQ(r[3], "E00");
}

// gdb takes the thread a stop reply names as selected for registers (it
// sends no Hg for it): a thread selected with Hg before the stop no longer is.
TEST_F(Session, AStopSelectsTheStoppedThreadForRegisters) {
  exchange({"Hg2a", "g"});
  send(frame("g") + frame("c"));
  EXPECT_EQ(server_->serve("T05thread:10;").kind, GdbResume::kContinue);
  EXPECT_EQ(program_.reg_reads, (std::vector<pid_t>{0x2a, 0x10}));
}

TEST_F(Session, BreakpointsWatchpointsAndMonitor) {
  exchange({"Z0,55550000,1", "Z2,7000,4", "Z3,7000,4", "qRcmd," + to_hex("when")});
  auto r = replies();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], "OK");
  EXPECT_EQ(r[1], "OK");
  EXPECT_EQ(r[2], "");  // read watchpoints: gdb falls back to access ones
  EXPECT_EQ(from_hex(r[3]), "got when\n");
  ASSERT_EQ(program_.points.size(), 2u);
  EXPECT_EQ(program_.points[0], std::make_tuple(0, uint64_t{0x55550000}, 1));
  EXPECT_EQ(program_.points[1], std::make_tuple(2, uint64_t{0x7000}, 4));
}

TEST_F(Session, ResumePackets) {
  auto a = exchange({}, "vCont;s:2a;c");
  EXPECT_EQ(a.kind, GdbResume::kStep);
  EXPECT_EQ(a.tid, 0x2a);
  // The stop that ends that step is sent before any other packet is served.
  send(frame("vCont;c"));
  EXPECT_EQ(server_->serve("T05thread:2a;").kind, GdbResume::kContinue);
  send(frame("Hc2a") + frame("bs"));
  a = server_->serve("T05swbreak:;thread:2a;");
  EXPECT_EQ(a.kind, GdbResume::kReverseStep);
  EXPECT_EQ(a.tid, 0x2a);
  send(frame("bc"));
  EXPECT_EQ(server_->serve("T05thread:2a;").kind, GdbResume::kReverseContinue);
  send(frame("D"));
  EXPECT_EQ(server_->serve("T05thread:2a;").kind, GdbResume::kDetach);
  std::string raw = received();
  for (const char* stop : {"T05thread:2a;", "T05swbreak:;thread:2a;"})
    EXPECT_NE(raw.find(frame(stop)), std::string::npos) << stop;
  close(gdb_fd_);
  gdb_fd_ = -1;
  EXPECT_EQ(server_->serve("W00").kind, GdbResume::kGone);
}

TEST(StopReplies, Format) {
  EXPECT_EQ(stop_reply(5, 0x1234, "swbreak:;"), "T05swbreak:;thread:1234;");
  EXPECT_EQ(stop_reply(11, 7), "T0bthread:7;");
  EXPECT_EQ(exit_reply(74 << 8), "W4a");
  EXPECT_EQ(exit_reply(SIGSEGV), "X0b");
}

// gdb numbers signals its own way: Linux's SIGCHLD (17) is gdb's SIGSTOP.
TEST(StopReplies, SignalsInGdbsNumbering) {
  EXPECT_EQ(stop_reply(SIGCHLD, 7), "T14thread:7;");
  EXPECT_EQ(stop_reply(SIGUSR1, 7), "T1ethread:7;");
  EXPECT_EQ(stop_reply(SIGBUS, 7), "T0athread:7;");
  EXPECT_EQ(exit_reply(SIGKILL), "X09");
  EXPECT_EQ(exit_reply(SIGTERM), "X0f");
  EXPECT_EQ(exit_reply(SIGUSR2), "X1f");
  EXPECT_EQ(gdb_signal_from_host(34), 46);  // SIGRTMIN+2 as glibc has it: gdb's SIG34
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGSTKFLT) continue;  // gdb has no SIGSTKFLT
    EXPECT_EQ(host_signal_from_gdb(gdb_signal_from_host(sig)), sig) << sig;
  }
}

TEST_F(Session, PassSignalsAreGdbNumbers) {
  exchange({"QPassSignals:14;1e"});  // gdb's SIGCHLD and SIGUSR1
  EXPECT_TRUE(server_->passes(SIGCHLD));
  EXPECT_TRUE(server_->passes(SIGUSR1));
  EXPECT_FALSE(server_->passes(SIGSTOP));
  EXPECT_FALSE(server_->passes(SIGPROF));
}

TEST(GdbRegs, DescriptionNamesEveryRegisterInOrder) {
  std::string xml = gdb_target_xml();
  EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
  size_t regs = 0;
  for (size_t at = 0; (at = xml.find("<reg ", at)) != std::string::npos; at++) regs++;
  EXPECT_EQ(regs, static_cast<size_t>(gdb_reg_count()));
  size_t last = 0;
  for (const char* name : {"\"rax\"", "\"rip\"", "\"eflags\"", "\"st0\"", "\"fop\"", "\"xmm15\"",
                           "\"mxcsr\"", "\"orig_rax\"", "\"fs_base\"", "\"gs_base\""}) {
    size_t at = xml.find(std::string("name=") + name);
    ASSERT_NE(at, std::string::npos) << name;
    EXPECT_GT(at, last) << name;
    last = at;
  }
}

#if defined(__x86_64__)
TEST(GdbRegs, LayoutMatchesPtrace) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    raise(SIGSTOP);
    _exit(0);
  }
  int st;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  user_regs_struct r{};
  ASSERT_EQ(ptrace(PTRACE_GETREGS, child, nullptr, &r), 0);
  auto g = read_gdb_regs(child);
  ASSERT_TRUE(g);
  auto last = gdb_reg_slot(gdb_reg_count() - 1);
  EXPECT_EQ(g->size(), last->offset + last->size);
  auto u64 = [&](int regno) {
    uint64_t v = 0;
    std::memcpy(&v, g->data() + gdb_reg_slot(regno)->offset, 8);
    return v;
  };
  EXPECT_EQ(u64(7), r.rsp);
  EXPECT_EQ(u64(16), r.rip);
  EXPECT_EQ(u64(57), r.orig_rax);
  EXPECT_EQ(u64(58), r.fs_base);
  // A write through the 'g' layout reaches the thread.
  std::string changed = *g;
  uint64_t v = 0x1234567890;
  std::memcpy(changed.data() + gdb_reg_slot(15)->offset, &v, 8);  // r15
  ASSERT_TRUE(write_gdb_regs(child, changed));
  ASSERT_EQ(ptrace(PTRACE_GETREGS, child, nullptr, &r), 0);
  EXPECT_EQ(r.r15, v);
  EXPECT_EQ(*read_gdb_regs(child), changed);
  kill(child, SIGKILL);
  waitpid(child, &st, 0);
}
#endif

}  // namespace
}  // namespace rp
