// The replay agent's code generation (replay/agent/agent_code.h): which
// syscall sites it plans, and (in this process, no ptrace) that a patched
// site answers from the window without entering the kernel, writes the
// recorded outputs, and runs the real syscall when the call differs or the
// window is empty.
#include "agent_code.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "agent_abi.h"
#include "point_patch.h"

namespace rp {
namespace {

#if defined(__x86_64__)

constexpr uint64_t kTop = 0x7ffffffff000;  // x86_64's end of user space (4-level paging)

std::string code(std::initializer_list<uint8_t> b) {
  return std::string(b.begin(), b.end()) + std::string(32, '\x90');
}

TEST(AgentSites, PlansASyscallFollowedByRelocatableInstructions) {
  std::string why;
  // syscall; cmp $-4095,%rax; jae +5
  auto s = plan_patch_site(code({0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0x73, 0x05}),
                           0x7f0000001000, &why, /*syscall_first=*/true);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->insns[0].kind, PatchSite::Insn::kSyscall);
  EXPECT_EQ(s->length, 8u);  // the syscall and the cmp: 5 bytes covered
  // The instruction after the syscall starts inside the jump: int3 there.
  EXPECT_EQ(s->rel_lo, static_cast<int32_t>(0xcccccc00u));
  EXPECT_EQ(s->rel_hi, static_cast<int32_t>(0xccccccffu));
  // Without the agent's permission a syscall is refused as before.
  EXPECT_FALSE(plan_patch_site(code({0x0f, 0x05, 0x90, 0x90, 0x90}), 0x7f0000001000, &why));
  // The agent's sites start with the syscall.
  EXPECT_FALSE(plan_patch_site(code({0x90, 0x0f, 0x05}), 0x7f0000001000, &why, true));
  // A call right after the syscall moves as a push of its return address and
  // a jump (point_patch.cc), which the stub's size must count.
  auto c = plan_patch_site(code({0x0f, 0x05, 0xe8, 0, 0, 0, 0}), 0x7f0000001000, &why, true);
  ASSERT_TRUE(c) << why;
  ASSERT_EQ(c->insns.size(), 2u);
  EXPECT_EQ(c->insns[1].kind, PatchSite::Insn::kCall);
  EXPECT_EQ(agent_stub_bytes(*c) - agent_stub_bytes(*s) + relocated_size(s->insns[1]),
            relocated_size(c->insns[1]));
  EXPECT_GT(relocated_size(c->insns[1]), 5u);
}

TEST(AgentSites, StubJumpsWithinTheSitesRange) {
  std::string why;
  auto s = plan_patch_site(code({0x0f, 0x05, 0x48, 0x89, 0xc7}), 0x7f0000001000, &why, true);
  ASSERT_TRUE(s) << why;
  uint64_t entry = s->ip + 5 + s->rel_lo + 16;
  auto stub = build_agent_stub(*s, entry, 0x600000000000, &why);
  ASSERT_TRUE(stub) << why;
  EXPECT_EQ(stub->site_bytes.size(), s->length);
  EXPECT_EQ(static_cast<uint8_t>(stub->site_bytes[0]), 0xe9);
  EXPECT_EQ(stub->site_bytes.substr(2), std::string(3, '\xcc'));  // int3 at the mov's start
  EXPECT_EQ(stub->code.size(), agent_stub_bytes(*s));
  EXPECT_EQ(stub->code.substr(stub->syscall_ip - entry, 2), std::string("\x0f\x05", 2));
  ASSERT_EQ(stub->interior.size(), 1u);
  EXPECT_EQ(stub->interior[0].first, s->ip + 2);
  EXPECT_FALSE(build_agent_stub(*s, entry + 4096, 0x600000000000, &why));  // out of reach
}

TEST(AgentSites, ALowSiteJumpsForwardOverAnInvalidOpcodeFiller) {
  std::string why;
  // A static program's syscall wrapper at 0x401000: int3 in the rel32 would
  // put the stub ~819 MiB below address 0.
  auto s = plan_patch_site(code({0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff}), 0x401000, &why,
                           true);
  ASSERT_TRUE(s) << why;
  EXPECT_FALSE(jump_entries(*s, 0xcc));
  const uint64_t len = agent_stub_bytes(*s);
  auto any = [](uint64_t) { return true; };
  auto p = place_agent_stub(*s, len, {}, 1 << 28, kTop, any);
  ASSERT_TRUE(p);
  auto [at, filler] = *p;
  EXPECT_NE(filler, 0xcc);
  EXPECT_LT(filler, 0x80);  // forward
  EXPECT_GE(at, uint64_t{1} << 28);
  auto reach = jump_entries(*s, filler);
  ASSERT_TRUE(reach);
  EXPECT_GE(at, reach->first);
  EXPECT_LE(at, reach->second);
  auto stub = build_agent_stub(*s, at, 0x600000000000, &why, filler);
  ASSERT_TRUE(stub) << why;
  EXPECT_EQ(stub->filler, filler);
  // The cmp starts at the rel32's second byte: the filler there and after.
  EXPECT_EQ(stub->site_bytes.substr(2), std::string(s->length - 2, static_cast<char>(filler)));
  int32_t rel;
  std::memcpy(&rel, &stub->site_bytes[1], 4);
  EXPECT_EQ(s->ip + 5 + rel, at);
  EXPECT_FALSE(build_agent_stub(*s, at, 0x600000000000, &why));  // int3 cannot reach it
  // That place's page refused: the next filler's.
  auto q = place_agent_stub(*s, len, {}, 1 << 28, kTop, [&](uint64_t pg) { return pg != (at & ~4095ull); });
  ASSERT_TRUE(q);
  EXPECT_NE(q->second, filler);
  // Its slot taken: the next stub goes right after it, with the same filler.
  auto r = place_agent_stub(*s, len, {{at, at + len}}, 1 << 28, kTop, any);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, at + len);
  EXPECT_EQ(r->second, filler);
  // A site high in the address space keeps int3.
  auto high = plan_patch_site(code({0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff}),
                              0x7f0000001000, &why, true);
  ASSERT_TRUE(high) << why;
  auto h = place_agent_stub(*high, len, {}, 1 << 28, kTop, any);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->second, 0xcc);
  EXPECT_FALSE(place_agent_stub(*s, len, {}, 1 << 28, kTop, [](uint64_t) { return false; }));
}

TEST(AgentSites, ASiteNearTheTopNeverGetsAStubPastTheEndOfUserSpace) {
  std::string why;
  // getpid in Debian 12's libc, loaded just below the stack's room: syscall;
  // ret; nopl. The ret starts inside the rel32: each filler reaches 256 bytes.
  const uint64_t ip = 0x7ffff7e744e5;
  auto s = plan_patch_site(code({0x0f, 0x05, 0xc3, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}), ip, &why, true);
  ASSERT_TRUE(s) << why;
  const uint64_t len = agent_stub_bytes(*s);
  auto int3 = jump_entries(*s, 0xcc);
  ASSERT_TRUE(int3);
  // int3's place taken by the stubs of the wrappers around it; the room the
  // stack may grow into (blocked() keeps it) holds the near forward ones.
  const std::map<uint64_t, uint64_t> taken = {{int3->first, int3->second + len}};
  auto mapped = [](uint64_t pg) { return pg < 0x7ffff0000000 || pg >= kTop; };
  auto p = place_agent_stub(*s, len, taken, 1 << 28, kTop, mapped);
  ASSERT_TRUE(p);
  EXPECT_LE(p->first + len, kTop);
  EXPECT_GE(p->second, 0x80);  // a filler that reaches back
  auto reach = jump_entries(*s, p->second);
  ASSERT_TRUE(reach);
  EXPECT_GE(p->first, reach->first);
  EXPECT_LE(p->first, reach->second);
}

// The window's layout (agent_abi.h), byte by byte, for an entry with a
// string it was given, a large output (referred to: the window does not
// copy it) and a small one (copied with the fields); and the same bytes
// written into a process.
TEST(AgentWindowTest, LayoutAndLargeOutputsReferredTo) {
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_pread64;
  for (int i = 0; i < 6; i++) e.args[i] = 100 + i;
  e.ret = 65536;
  e.mem.push_back(MemRecord{0x1000, std::string(65536, 'L'), false});
  e.mem.push_back(MemRecord{0x9000, "path", true});  // an input: first, compared
  e.mem.push_back(MemRecord{0x2000, std::string(100, 's'), false});
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 5, AgentSend{RP_AGENT_SEND_IOV, 0x7000, 3}));
  std::string want;
  auto put = [&](uint64_t v) { want.append(reinterpret_cast<const char*>(&v), 8); };
  const uint64_t size = RP_AGENT_E_RECORDS + 16 + 8 + 16 + 65536 + 16 + 104;
  put(1), put(0), put(RP_AGENT_H_BYTES), put(RP_AGENT_H_BYTES + size);  // sent: after it
  put(SYS_pread64);
  for (int i = 0; i < 6; i++) put(100 + i);
  put(5), put(65536), put(2), put(size), put(1);
  put(RP_AGENT_SEND_IOV), put(0x7000), put(3);
  put(0x9000), put(4), want += std::string("path") + std::string(4, '\0');
  put(0x1000), put(65536), want += std::string(65536, 'L');
  put(0x2000), put(100), want += std::string(100, 's') + std::string(4, '\0');
  EXPECT_EQ(w.size(), want.size());
  EXPECT_TRUE(w.bytes() == want);
  bool referred = false;
  for (auto [p, n] : w.pieces()) {
    referred = referred || (p == e.mem[0].bytes.data() && n == 65536);
    EXPECT_FALSE(p == e.mem[2].bytes.data()) << "a small output is copied, not referred to";
  }
  EXPECT_TRUE(referred) << "the 64 KiB output was copied into the window";
  std::string out(want.size(), '\0');
  Tracee self(getpid());
  ASSERT_TRUE(w.write_to(self, reinterpret_cast<uint64_t>(out.data())));
  EXPECT_TRUE(out == want);
}

// More pieces than one process_vm_writev takes (IOV_MAX): written in order.
TEST(AgentWindowTest, WritesMorePiecesThanOneCallTakes) {
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_read;
  e.ret = 2048;
  e.mem.push_back(MemRecord{0x1000, std::string(1024, 'a'), false});
  e.mem.push_back(MemRecord{0x2000, std::string(1024, 'b'), false});
  AgentWindow w;
  std::vector<Event> events(400, e);
  for (size_t i = 0; i < events.size(); i++) {
    events[i].mem[0].bytes.mut()[i % 1024] = 'x';
    ASSERT_TRUE(w.add(events[i], 0));
  }
  ASSERT_GT(w.pieces().size(), static_cast<size_t>(IOV_MAX));
  std::string out(w.size(), '\0');
  Tracee self(getpid());
  ASSERT_TRUE(w.write_to(self, reinterpret_cast<uint64_t>(out.data())));
  EXPECT_TRUE(out == w.bytes());
  EXPECT_EQ(w.count(), 400u);
}

// A function made of `mov %rdi,%rax; syscall; mov %rax,%rax; ret` at a fixed
// address, its syscall site patched to a stub that calls the agent.
class PatchedSite : public ::testing::Test {
 protected:
  virtual uint64_t code_at() const { return 0x5a0000000000; }
  void SetUp() override {
    const uint64_t kCode = code_at();
    agent_ = map(0, RP_AGENT_MAP_BYTES);
    ASSERT_NE(agent_, nullptr);
    std::string blob = agent_blob();
    ASSERT_FALSE(blob.empty());
    std::memcpy(agent_, blob.data(), blob.size());
    window_ = static_cast<char*>(agent_) + RP_AGENT_WINDOW_OFFSET;
    set_window(AgentWindow::empty());
    fn_ = static_cast<char*>(map(kCode, 4096));
    ASSERT_EQ(fn_, reinterpret_cast<char*>(kCode));
    const uint8_t f[] = {0x48, 0x89, 0xf8, 0x0f, 0x05, 0x48, 0x89, 0xc0, 0xc3};
    std::memcpy(fn_, f, sizeof f);
    std::string why;
    auto site = plan_patch_site(std::string(fn_ + 3, 32), kCode + 3, &why, true);
    ASSERT_TRUE(site) << why;
    auto place = place_agent_stub(*site, agent_stub_bytes(*site), {}, 1 << 20, kTop,
                                  [](uint64_t) { return true; });
    ASSERT_TRUE(place);
    const uint64_t entry = place->first;
    stub_page_ = map(entry & ~uint64_t{4095}, 8192);
    ASSERT_NE(stub_page_, nullptr);
    auto stub = build_agent_stub(*site, entry, reinterpret_cast<uint64_t>(agent_), &why,
                                 place->second);
    ASSERT_TRUE(stub) << why;
    std::memcpy(reinterpret_cast<void*>(entry), stub->code.data(), stub->code.size());
    std::memcpy(fn_ + 3, stub->site_bytes.data(), stub->site_bytes.size());
  }
  void TearDown() override {
    if (agent_) munmap(agent_, RP_AGENT_MAP_BYTES);
    if (fn_) munmap(fn_, 4096);
    if (stub_page_) munmap(stub_page_, 8192);
  }
  static void* map(uint64_t at, size_t len) {
    void* p = mmap(reinterpret_cast<void*>(at), len, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED_NOREPLACE : 0), -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }
  void set_window(const std::string& w) { std::memcpy(window_, w.data(), w.size()); }
  uint64_t answered() {
    uint64_t n;
    std::memcpy(&n, window_ + RP_AGENT_H_NEXT, 8);
    return n;
  }
  long call(long nr) { return reinterpret_cast<long (*)(long)>(fn_)(nr); }

  void* agent_ = nullptr;
  char* window_ = nullptr;
  char* fn_ = nullptr;
  void* stub_page_ = nullptr;
};

TEST_F(PatchedSite, AnswersFromTheWindowThenRunsTheRealSyscall) {
  uint64_t out = 0;
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.ret = 4242;
  e.mem.push_back(MemRecord{reinterpret_cast<uint64_t>(&out), std::string("recorded", 8), false});
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0));
  e.ret = 77;
  e.mem.clear();
  ASSERT_TRUE(w.add(e, 0));
  set_window(w.bytes());
  EXPECT_EQ(call(SYS_getppid), 4242);
  EXPECT_EQ(std::memcmp(&out, "recorded", 8), 0);
  EXPECT_EQ(call(SYS_getppid), 77);
  EXPECT_EQ(answered(), 2u);
  EXPECT_EQ(call(SYS_getppid), getppid());  // nothing left: the kernel answers
  EXPECT_EQ(answered(), 2u);
}

TEST_F(PatchedSite, ADifferentCallGoesToTheKernel) {
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getpid;
  e.ret = 4242;
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0));
  set_window(w.bytes());
  EXPECT_EQ(call(SYS_getppid), getppid());
  EXPECT_EQ(answered(), 0u);
  // An argument compared (rdi holds the number here) that differs.
  e.nr = SYS_getppid;
  e.args[0] = SYS_getpid;
  w.clear();
  ASSERT_TRUE(w.add(e, 1));
  set_window(w.bytes());
  EXPECT_EQ(call(SYS_getppid), getppid());
  EXPECT_EQ(answered(), 0u);
  e.args[0] = SYS_getppid;
  w.clear();
  ASSERT_TRUE(w.add(e, 1));
  set_window(w.bytes());
  EXPECT_EQ(call(SYS_getppid), 4242);
}

// A call given a string (a path): answered only where the program's bytes
// at the recorded address are the recorded ones, up to a NUL right after.
TEST_F(PatchedSite, ComparesTheStringsACallWasGiven) {
  char path[32] = "/etc/hosts";
  const auto at = reinterpret_cast<uint64_t>(path);
  auto call_with = [&](long nr, const char* p) {
    return reinterpret_cast<long (*)(long, const char*)>(fn_)(nr, p);
  };
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.args[0] = SYS_getppid;
  e.args[1] = at;
  e.ret = 4242;
  e.mem.push_back(MemRecord{at, "/etc/hosts", true});
  auto arm = [&](const std::string& recorded) {
    e.mem[0].bytes = recorded;
    AgentWindow w;
    ASSERT_TRUE(w.add(e, 0b11));
    set_window(w.bytes());
  };
  arm("/etc/hosts");
  EXPECT_EQ(call_with(SYS_getppid, path), 4242);
  EXPECT_EQ(answered(), 1u);
  for (const char* other : {"/etc/hostS", "/etc/host", "/etc/hosts2", ""}) {
    arm(other);  // the program's string differs, is longer, is shorter
    EXPECT_EQ(call_with(SYS_getppid, path), getppid()) << other;
    EXPECT_EQ(answered(), 0u) << other;
  }
  path[0] = '\0';
  arm("");  // the empty string: only its NUL is compared
  EXPECT_EQ(call_with(SYS_getppid, path), 4242);
}

TEST_F(PatchedSite, AnswersA64KiBOutputFromAWindowWrittenByGather) {
  std::string got(64 << 10, '\0');
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.ret = 65536;
  std::string data(64 << 10, '\0');
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<char>(i * 7 + i / 4096);
  e.mem.push_back(MemRecord{reinterpret_cast<uint64_t>(got.data()), data, false});
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0));
  ASSERT_TRUE(w.add(e, 0));
  Tracee self(getpid());
  ASSERT_TRUE(w.write_to(self, reinterpret_cast<uint64_t>(window_)));
  EXPECT_EQ(call(SYS_getppid), 65536);
  EXPECT_TRUE(got == data);
  got.assign(got.size(), '\0');
  EXPECT_EQ(call(SYS_getppid), 65536);
  EXPECT_TRUE(got == data);
  EXPECT_EQ(answered(), 2u);
}

// A call that sends bytes: the agent copies what the kernel would have read
// (one buffer, or every iovec up to the kernel's limit) into the send area,
// each copy after its length, and the replayer reads them back in order.
TEST_F(PatchedSite, CopiesWhatACallSendsForTheReplayer) {
  char text[] = "hello, world";
  const auto at = reinterpret_cast<uint64_t>(text);
  auto call3 = [&](long nr, uint64_t a, uint64_t b) {
    return reinterpret_cast<long (*)(long, uint64_t, uint64_t)>(fn_)(nr, a, b);
  };
  char second[] = "XYZ";
  struct iovec iov[4] = {{text, 5}, {nullptr, 0}, {second, 0}, {second, 3}};
  const auto iov_at = reinterpret_cast<uint64_t>(iov);
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.args[0] = SYS_getppid;
  AgentWindow w;
  e.args[1] = at, e.args[2] = 12, e.ret = 12;
  ASSERT_TRUE(w.add(e, 0b111, AgentSend{RP_AGENT_SEND_BUFFER, at, 12}));
  e.args[1] = iov_at, e.args[2] = 4, e.ret = 8;
  ASSERT_TRUE(w.add(e, 0b111, AgentSend{RP_AGENT_SEND_IOV, iov_at, 4}));
  e.args[1] = 0, e.args[2] = 5, e.ret = -EFAULT;  // a null buffer: nothing read
  ASSERT_TRUE(w.add(e, 0b111, AgentSend{RP_AGENT_SEND_BUFFER, 0, 5}));
  const size_t start = w.size();
  set_window(w.bytes());
  EXPECT_EQ(call3(SYS_getppid, at, 12), 12);
  text[0] = 'J';  // changed after the call: the copy keeps what was sent
  EXPECT_EQ(call3(SYS_getppid, iov_at, 4), 8);
  EXPECT_EQ(call3(SYS_getppid, 0, 5), -EFAULT);
  EXPECT_EQ(answered(), 3u);
  uint64_t end;
  std::memcpy(&end, window_ + RP_AGENT_H_SENT, 8);
  ASSERT_GE(end, start);
  auto sent = parse_sent(std::string_view(window_ + start, end - start), 3);
  ASSERT_TRUE(sent);
  EXPECT_EQ((*sent)[0], "hello, world");
  EXPECT_EQ((*sent)[1], "JelloXYZ");
  EXPECT_EQ((*sent)[2], "");
  EXPECT_FALSE(parse_sent(std::string_view(window_ + start, end - start), 2));  // one left over
  EXPECT_FALSE(parse_sent(std::string_view(window_ + start, end - start - 8), 3));  // cut short
}

// A msghdr: its iovecs are copied; one with control data (descriptors
// replay must read at the call) goes to the kernel.
TEST_F(PatchedSite, CopiesAMsghdrsIovecsButNotOneWithControlData) {
  char text[] = "datagram";
  struct iovec iov[2] = {{text, 4}, {text + 4, 4}};
  char control[64] = {};
  struct msghdr m = {};
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  const auto at = reinterpret_cast<uint64_t>(&m);
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.args[0] = SYS_getppid, e.args[1] = at;
  e.ret = 8;
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0b11, AgentSend{RP_AGENT_SEND_MSGHDR, at, 0}));
  const size_t start = w.size();
  set_window(w.bytes());
  auto call2 = [&](long nr, uint64_t a) {
    return reinterpret_cast<long (*)(long, uint64_t)>(fn_)(nr, a);
  };
  EXPECT_EQ(call2(SYS_getppid, at), 8);
  uint64_t end;
  std::memcpy(&end, window_ + RP_AGENT_H_SENT, 8);
  auto sent = parse_sent(std::string_view(window_ + start, end - start), 1);
  ASSERT_TRUE(sent);
  EXPECT_EQ((*sent)[0], "datagram");
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  set_window(w.bytes());
  EXPECT_EQ(call2(SYS_getppid, at), getppid());
  EXPECT_EQ(answered(), 0u);
}

// An iovec array whose lengths do not add up to the recorded result (the
// kernel stopped early, maybe at a buffer that faulted): the kernel path,
// the agent reading none of the buffers.
TEST_F(PatchedSite, AnIovecCallThatSentPartGoesToTheKernel) {
  char text[] = "hello";
  struct iovec iov[2] = {{text, 5}, {reinterpret_cast<void*>(8), 4096}};  // the second faults
  const auto iov_at = reinterpret_cast<uint64_t>(iov);
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.args[0] = SYS_getppid, e.args[1] = iov_at, e.args[2] = 2;
  e.ret = 5;
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0b111, AgentSend{RP_AGENT_SEND_IOV, iov_at, 2}));
  set_window(w.bytes());
  auto call3 = [&](long nr, uint64_t a, uint64_t b) {
    return reinterpret_cast<long (*)(long, uint64_t, uint64_t)>(fn_)(nr, a, b);
  };
  EXPECT_EQ(call3(SYS_getppid, iov_at, 2), getppid());
  EXPECT_EQ(answered(), 0u);
}

// No room left in the window for what a call sends: the kernel path, with
// nothing of the copy counted.
TEST_F(PatchedSite, ACallWhoseBytesDoNotFitGoesToTheKernel) {
  std::string big(RP_AGENT_WINDOW_BYTES, 'b');
  const auto at = reinterpret_cast<uint64_t>(big.data());
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.args[0] = SYS_getppid, e.args[1] = at, e.args[2] = big.size();
  e.ret = 5;
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0b111, AgentSend{RP_AGENT_SEND_BUFFER, at, big.size()}));
  set_window(w.bytes());
  auto call3 = [&](long nr, uint64_t a, uint64_t b) {
    return reinterpret_cast<long (*)(long, uint64_t, uint64_t)>(fn_)(nr, a, b);
  };
  EXPECT_EQ(call3(SYS_getppid, at, big.size()), getppid());
  EXPECT_EQ(answered(), 0u);
  uint64_t sent;
  std::memcpy(&sent, window_ + RP_AGENT_H_SENT, 8);
  EXPECT_EQ(sent, w.size());
}

// The same function in the low 2 GiB (where a non-PIE program's text is):
// its stub is above it, reached over an invalid-opcode filler.
class PatchedLowSite : public PatchedSite {
 protected:
  uint64_t code_at() const override { return 0x30000000; }
};

TEST_F(PatchedLowSite, AnswersFromTheWindow) {
  EXPECT_LT(static_cast<uint8_t>(fn_[3 + 4]), 0x80);  // the rel32's top byte: a forward filler
  EXPECT_NE(static_cast<uint8_t>(fn_[3 + 4]), 0xcc);
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = SYS_getppid;
  e.ret = 4242;
  AgentWindow w;
  ASSERT_TRUE(w.add(e, 0));
  set_window(w.bytes());
  EXPECT_EQ(call(SYS_getppid), 4242);
  EXPECT_EQ(answered(), 1u);
  EXPECT_EQ(call(SYS_getppid), getppid());
}

#endif

}  // namespace
}  // namespace rp
