// Buffer rules decide which bytes a trace holds; a region too short loses data
// replay needs, one too long reads memory the kernel never wrote. Fake tracee
// memory (a byte map) lets each rule be checked against exact addresses.
//
// The rules are common/rp_rules.h, compiled in three environments; every case
// runs against each: the C++ one (buffers.cc: ptrace recorder, replay, dump),
// the BPF one (record/bpf/rp_rules_bpf.h) and the kernel module's
// (kmod/rp_rules_kmod.h), the latter two compiled for user space with
// stand-ins for the BPF helpers and the kernel's user copies (rules_*_env.c).
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <map>
#include <string_view>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buffers.h"
#include "rules_env.h"

namespace rp {
namespace {

class FakeMem {
 public:
  void put(uint64_t addr, uint64_t v, int size) {
    for (int i = 0; i < size; i++) bytes_[addr + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  void put32(uint64_t a, uint32_t v) { put(a, v, 4); }
  void put64(uint64_t a, uint64_t v) { put(a, v, 8); }
  void iov(uint64_t at, std::vector<std::pair<uint64_t, uint64_t>> entries) {
    for (size_t i = 0; i < entries.size(); i++) {
      put64(at + 16 * i, entries[i].first);
      put64(at + 16 * i + 8, entries[i].second);
    }
  }
  // Unmapped bytes read as failure, like process_vm_readv on a bad address.
  WordReader reader() const {
    return [this](uint64_t addr, int size) -> std::optional<uint64_t> {
      uint64_t v = 0;
      for (int i = 0; i < size; i++) {
        auto it = bytes_.find(addr + i);
        if (it == bytes_.end()) return std::nullopt;
        v |= static_cast<uint64_t>(it->second) << (8 * i);
      }
      return v;
    };
  }
  // The same memory for the C environments.
  rules_mem c_mem() const { return rules_mem{&FakeMem::read_c, const_cast<FakeMem*>(this)}; }

 private:
  static bool read_c(void* ctx, uint64_t addr, void* dst, uint64_t len) {
    const auto& bytes = static_cast<FakeMem*>(ctx)->bytes_;
    auto* out = static_cast<uint8_t*>(dst);
    for (uint64_t i = 0; i < len; i++) {
      auto it = bytes.find(addr + i);
      if (it == bytes.end()) return false;
      out[i] = it->second;
    }
    return true;
  }
  std::map<uint64_t, uint8_t> bytes_;
};

enum class Walker { Cpp, Bpf, Kmod };

void PrintTo(Walker w, std::ostream* os) {
  *os << (w == Walker::Cpp ? "C++" : w == Walker::Bpf ? "BPF" : "kmod");
}

// Which environment outputs()/inputs() run, and what its last walk did.
Walker g_walker = Walker::Cpp;
bool g_deferred = false;

const SyscallSpec& spec(const char* name) {
  const SyscallSpec* s = syscall_spec_by_name(name);
  if (!s) throw std::runtime_error(std::string("no spec for ") + name);
  return *s;
}

using Regions = std::vector<std::pair<uint64_t, uint64_t>>;

Regions flat(const std::vector<Region>& rs) {
  Regions out;
  for (const auto& r : rs) out.emplace_back(r.addr, r.len);
  return out;
}

// All regions of a syscall in one C environment, input descriptor's first.
rules_result c_walk(const SyscallSpec& s, const uint64_t args[6], int64_t ret,
                    const FakeMem& exit, const FakeMem& entry) {
  rules_mem em = entry.c_mem(), xm = exit.c_mem();
  rules_result res;
  if (g_walker == Walker::Bpf)
    rules_bpf_walk(syscall_nr(s), args, ret, &em, &xm, &res);
  else
    rules_kmod_walk(syscall_nr(s), args, ret, &em, &xm, &res);
  EXPECT_FALSE(res.overflow);
  g_deferred = res.deferred;
  return res;
}

Regions c_regions(const rules_result& res, bool input) {
  Regions out;
  for (int i = 0; i < res.n; i++) {
    const auto& r = res.r[i];
    if ((r.idx == RP_DATA_IDX_INPUT) == input) out.emplace_back(r.addr, r.len);
  }
  return out;
}

// Entry lengths read from `entry`, outputs computed over `exit` memory. A
// syscall the BPF walker hands to user space (an unreadable word, recvmmsg)
// is completed there by the C++ walker, as the eBPF backend does.
Regions outputs(const char* name, std::vector<uint64_t> a, int64_t ret, const FakeMem& exit,
                const FakeMem* entry = nullptr) {
  uint64_t args[6] = {};
  for (size_t i = 0; i < a.size(); i++) args[i] = a[i];
  const SyscallSpec& s = spec(name);
  const FakeMem& in = entry ? *entry : exit;
  if (g_walker != Walker::Cpp) {
    rules_result res = c_walk(s, args, ret, exit, in);
    if (!(g_walker == Walker::Bpf && res.deferred)) return c_regions(res, false);
  }
  EntryLens lens = entry_lens(s, args, in.reader());
  return flat(output_regions(*buffers_spec(syscall_nr(s), args), args, ret, lens, exit.reader()));
}

Regions inputs(const char* name, std::vector<uint64_t> a, const FakeMem& m) {
  uint64_t args[6] = {};
  for (size_t i = 0; i < a.size(); i++) args[i] = a[i];
  const SyscallSpec& s = spec(name);
  if (g_walker != Walker::Cpp) {
    rules_result res = c_walk(s, args, 0, m, m);
    if (!(g_walker == Walker::Bpf && res.deferred)) return c_regions(res, true);
  }
  return flat(input_regions(s, args, m.reader()));
}

class Buffers : public ::testing::TestWithParam<Walker> {
 protected:
  void SetUp() override {
    g_walker = GetParam();
    g_deferred = false;
  }
};

TEST_P(Buffers, ReadRecordsExactlyRetBytes) {
  FakeMem m;
  EXPECT_EQ(outputs("read", {3, 0x1000, 4096}, 17, m), (Regions{{0x1000, 17}}));
  EXPECT_EQ(outputs("read", {3, 0x1000, 4096}, 0, m), Regions{});
  EXPECT_EQ(outputs("getrandom", {0x2000, 16, 0}, 16, m), (Regions{{0x2000, 16}}));
  EXPECT_EQ(outputs("getgroups", {8, 0x3000}, 3, m), (Regions{{0x3000, 12}}));
  EXPECT_EQ(outputs("epoll_wait", {5, 0x4000, 8, -1ull}, 2, m), (Regions{{0x4000, 24}}));
}

TEST_P(Buffers, FixedSizes) {
  FakeMem m;
  EXPECT_EQ(outputs("fstat", {3, 0x1000}, 0, m), (Regions{{0x1000, 144}}));
  EXPECT_EQ(outputs("clock_gettime", {1, 0x1000}, 0, m), (Regions{{0x1000, 16}}));
  EXPECT_EQ(outputs("wait4", {-1ull, 0x1000, 0, 0x2000}, 1234, m),
            (Regions{{0x1000, 4}, {0x2000, 144}}));
  EXPECT_EQ(outputs("pipe2", {0x1000, 0}, 0, m), (Regions{{0x1000, 8}}));
}

TEST_P(Buffers, NullPointersAreSkipped) {
  FakeMem m;
  EXPECT_EQ(outputs("read", {3, 0, 10}, 10, m), Regions{});
  EXPECT_EQ(outputs("fstat", {3, 0}, 0, m), Regions{});
  // wait4(pid, NULL, 0, &rusage): only the rusage.
  EXPECT_EQ(outputs("wait4", {5, 0, 0, 0x2000}, 5, m), (Regions{{0x2000, 144}}));
  // gettimeofday(&tv, NULL)
  EXPECT_EQ(outputs("gettimeofday", {0x1000, 0}, 0, m), (Regions{{0x1000, 16}}));
}

TEST_P(Buffers, FailedCallsWriteNoLengthDependentBuffers) {
  FakeMem m;
  m.iov(0x1000, {{0x2000, 10}});
  m.put32(0x3000, 16);
  const int64_t efault = -EFAULT;
  EXPECT_EQ(outputs("read", {3, 0x1000, 10}, efault, m), Regions{});
  EXPECT_EQ(outputs("getrandom", {0x1000, 16, 0}, -EINTR, m), Regions{});
  EXPECT_EQ(outputs("readv", {3, 0x1000, 1}, efault, m), Regions{});
  EXPECT_EQ(outputs("rt_sigpending", {0x1000, 8}, efault, m), Regions{});
  EXPECT_EQ(outputs("poll", {0x1000, 2, 0}, efault, m), Regions{});
  EXPECT_EQ(outputs("ioctl", {1, 0x5413, 0x1000}, -ENOTTY, m), Regions{});
  EXPECT_EQ(outputs("select", {65, 0x1000, 0, 0, 0}, efault, m), Regions{});
  // LENPTR: only the length word itself (a FIXED output) remains.
  EXPECT_EQ(outputs("accept", {3, 0x2000, 0x3000}, -EAGAIN, m), (Regions{{0x3000, 4}}));
}

// FIXED outputs stay recorded on failure: nanosleep reports the remaining
// time on EINTR, and an unwritten buffer merely records unchanged bytes.
// restart_syscall writes the outputs of the call it continues, whose
// arguments its record carries, that call's number in args[5] (rp_abi.h).
TEST_P(Buffers, RestartSyscallWritesTheContinuedCallsOutputs) {
  FakeMem m;
  const int64_t eintr = -EINTR, again = -RP_ERESTART_RESTARTBLOCK;
  const uint64_t nanosleep_nr = SYS_nanosleep;
  EXPECT_EQ(outputs("restart_syscall", {0x1000, 0x2000, 0, 0, 0, nanosleep_nr}, eintr, m),
            (Regions{{0x2000, RP_SIZEOF_TIMESPEC}}));
  EXPECT_EQ(outputs("restart_syscall", {0x1000, 0x2000, 0, 0, 0, nanosleep_nr}, again, m),
            (Regions{{0x2000, RP_SIZEOF_TIMESPEC}}));
#ifdef SYS_poll
  const uint64_t poll_nr = SYS_poll;
  EXPECT_EQ(outputs("restart_syscall", {0x3000, 2, 100, 0, 0, poll_nr}, 1, m),
            (Regions{{0x3000, 16}}));
#endif
  EXPECT_EQ(outputs("restart_syscall", {0, 0, 0, 0, 0, 0}, 0, m), Regions{});
}

TEST_P(Buffers, FixedOutputsSurviveFailure) {
  FakeMem m;
  EXPECT_EQ(outputs("nanosleep", {0x1000, 0x2000}, -EINTR, m), (Regions{{0x2000, 16}}));
}

TEST_P(Buffers, LargeReturnValuesThatAreNotErrors) {
  FakeMem m;
  // -4096 and below are not errno values; no RET buffer may become huge though.
  auto r = outputs("read", {3, 0x1000, 10}, -5000, m);
  for (const auto& [a, len] : r) EXPECT_LE(len, 10u);
}

TEST_P(Buffers, ReadvFillsIovecsUpToRet) {
  FakeMem m;
  m.iov(0x1000, {{0x2000, 10}, {0x3000, 20}, {0x4000, 30}});
  EXPECT_EQ(outputs("readv", {3, 0x1000, 3}, 25, m), (Regions{{0x2000, 10}, {0x3000, 15}}));
  EXPECT_EQ(outputs("readv", {3, 0x1000, 3}, 60, m),
            (Regions{{0x2000, 10}, {0x3000, 20}, {0x4000, 30}}));
  EXPECT_EQ(outputs("readv", {3, 0x1000, 3}, 10, m), (Regions{{0x2000, 10}}));
  EXPECT_EQ(outputs("readv", {3, 0x1000, 3}, 0, m), Regions{});
  // Only iovcnt entries are looked at even if more follow in memory.
  EXPECT_EQ(outputs("readv", {3, 0x1000, 1}, 25, m), (Regions{{0x2000, 10}}));
  EXPECT_EQ(outputs("preadv", {3, 0x1000, 3, 0, 0}, 12, m), (Regions{{0x2000, 10}, {0x3000, 2}}));
}

TEST_P(Buffers, ReadvSkipsEmptyAndNullIovecs) {
  FakeMem m;
  m.iov(0x1000, {{0x2000, 0}, {0, 5}, {0x4000, 30}});
  // Nothing can have been written through a null base: never an address-0 region.
  for (const auto& [a, len] : outputs("readv", {3, 0x1000, 3}, 8, m)) EXPECT_NE(a, 0u);
}

TEST_P(Buffers, ReadvWithUnreadableIovecArrayYieldsNothing) {
  FakeMem m;
  EXPECT_EQ(outputs("readv", {3, 0x9000, 2}, 20, m), Regions{});
}

TEST_P(Buffers, WritevInputIsEveryIovec) {
  FakeMem m;
  m.iov(0x1000, {{0x2000, 10}, {0x3000, 20}});
  EXPECT_EQ(inputs("writev", {1, 0x1000, 2}, m), (Regions{{0x2000, 10}, {0x3000, 20}}));
  EXPECT_EQ(inputs("write", {1, 0x5000, 7}, m), (Regions{{0x5000, 7}}));
  EXPECT_EQ(inputs("write", {1, 0x5000, 0}, m), Regions{});
  EXPECT_EQ(inputs("write", {1, 0, 7}, m), Regions{});
  EXPECT_EQ(inputs("read", {1, 0x5000, 7}, m), Regions{});
}

TEST_P(Buffers, SendmsgInputIsItsIovecs) {
  FakeMem m;
  m.iov(0x3000, {{0x4000, 5}, {0x5000, 6}});
  m.put64(0x1000 + 16, 0x3000);  // msg_iov
  m.put64(0x1000 + 24, 2);       // msg_iovlen
  EXPECT_EQ(inputs("sendmsg", {3, 0x1000, 0}, m), (Regions{{0x4000, 5}, {0x5000, 6}}));
}

// struct msghdr: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48
void msghdr(FakeMem& m, uint64_t at, uint64_t name, uint32_t namelen, uint64_t iov,
            uint64_t iovlen, uint64_t ctl, uint64_t ctllen) {
  m.put64(at, name);
  m.put32(at + 8, namelen);
  m.put64(at + 16, iov);
  m.put64(at + 24, iovlen);
  m.put64(at + 32, ctl);
  m.put64(at + 40, ctllen);
  m.put32(at + 48, 0);
}

TEST_P(Buffers, RecvmsgCapsNameAndControlByEntryLengths) {
  FakeMem entry, exit;
  for (FakeMem* m : {&entry, &exit}) m->iov(0x3000, {{0x4000, 100}, {0x5000, 100}});
  msghdr(entry, 0x1000, 0x2000, 8, 0x3000, 2, 0x6000, 64);
  // The kernel reports the full address length (16) even though only 8 fit,
  // and shrinks controllen to what it wrote.
  msghdr(exit, 0x1000, 0x2000, 16, 0x3000, 2, 0x6000, 24);
  EXPECT_EQ(outputs("recvmsg", {3, 0x1000, 0}, 150, exit, &entry),
            (Regions{{0x1000, 56}, {0x2000, 8}, {0x4000, 100}, {0x5000, 50}, {0x6000, 24}}));
}

TEST_P(Buffers, RecvmsgControlCappedByEntryControllen) {
  FakeMem entry, exit;
  for (FakeMem* m : {&entry, &exit}) m->iov(0x3000, {{0x4000, 100}});
  msghdr(entry, 0x1000, 0, 0, 0x3000, 1, 0x6000, 32);
  msghdr(exit, 0x1000, 0, 0, 0x3000, 1, 0x6000, 4096);  // bogus growth
  EXPECT_EQ(outputs("recvmsg", {3, 0x1000, 0}, 7, exit, &entry),
            (Regions{{0x1000, 56}, {0x4000, 7}, {0x6000, 32}}));
}

TEST_P(Buffers, RecvmsgFailedWritesNothing) {
  FakeMem m;
  m.iov(0x3000, {{0x4000, 100}});
  msghdr(m, 0x1000, 0x2000, 16, 0x3000, 1, 0, 0);
  EXPECT_EQ(outputs("recvmsg", {3, 0x1000, 0}, -EAGAIN, m), Regions{});
}

TEST_P(Buffers, LenptrIsMinOfEntryAndExitLength) {
  FakeMem entry, exit;
  entry.put32(0x3000, 16);
  exit.put32(0x3000, 110);  // e.g. a unix socket path longer than the buffer
  EXPECT_EQ(outputs("accept4", {3, 0x2000, 0x3000, 0}, 5, exit, &entry),
            (Regions{{0x2000, 16}, {0x3000, 4}}));
  entry.put32(0x3000, 128);
  exit.put32(0x3000, 16);
  EXPECT_EQ(outputs("accept4", {3, 0x2000, 0x3000, 0}, 5, exit, &entry),
            (Regions{{0x2000, 16}, {0x3000, 4}}));
  // recvfrom(fd, buf, len, flags, src, &srclen)
  EXPECT_EQ(outputs("recvfrom", {3, 0x1000, 100, 0, 0x2000, 0x3000}, 5, exit, &entry),
            (Regions{{0x1000, 5}, {0x2000, 16}, {0x3000, 4}}));
  // getsockopt(fd, level, name, optval, &optlen)
  entry.put32(0x5000, 4);
  exit.put32(0x5000, 4);
  EXPECT_EQ(outputs("getsockopt", {3, 1, 2, 0x4000, 0x5000}, 0, exit, &entry),
            (Regions{{0x4000, 4}, {0x5000, 4}}));
}

// A length word unreadable at entry (a kernel probe cannot fault pages in)
// leaves the cap to the kernel's length at exit.
TEST_P(Buffers, LenptrUnreadableAtEntryIsBoundedByExit) {
  FakeMem entry, exit;
  exit.put32(0x3000, 16);
  EXPECT_EQ(outputs("accept4", {3, 0x2000, 0x3000, 0}, 5, exit, &entry),
            (Regions{{0x2000, 16}, {0x3000, 4}}));
}

TEST_P(Buffers, LenptrWithNullAddressRecordsOnlyTheLength) {
  FakeMem m;
  m.put32(0x3000, 16);
  EXPECT_EQ(outputs("accept", {3, 0, 0x3000}, 5, m), (Regions{{0x3000, 4}}));
  EXPECT_EQ(outputs("accept", {3, 0, 0}, 5, m), Regions{});
}

TEST(IoctlRules, Sizes) {
  bool known = false;
  EXPECT_EQ(ioctl_output_size(0x5401, &known), 36u);  // TCGETS
  EXPECT_TRUE(known);
  EXPECT_EQ(ioctl_output_size(0x5413, &known), 8u);  // TIOCGWINSZ
  EXPECT_TRUE(known);
  EXPECT_EQ(ioctl_output_size(0x541B, &known), 4u);  // FIONREAD
  // The request is an unsigned int: garbage in the upper half is ignored.
  EXPECT_EQ(ioctl_output_size(0xffffffff00005401ull, &known), 36u);
  // _IOR('x', 7, 24 bytes): the kernel writes 24 bytes.
  uint64_t ior = (2ull << 30) | (24ull << 16) | ('x' << 8) | 7;
  EXPECT_EQ(ioctl_output_size(ior, &known), 24u);
  EXPECT_TRUE(known);
  // _IOWR writes back too.
  uint64_t iowr = (3ull << 30) | (40ull << 16) | ('x' << 8) | 8;
  EXPECT_EQ(ioctl_output_size(iowr, &known), 40u);
  // _IOW only reads from the program.
  uint64_t iow = (1ull << 30) | (24ull << 16) | ('x' << 8) | 9;
  EXPECT_EQ(ioctl_output_size(iow, &known), 0u);
  EXPECT_TRUE(known);
  // Old-style request without _IOC encoding that rp does not know.
  known = true;
  EXPECT_EQ(ioctl_output_size(0x1234, &known), 0u);
  EXPECT_FALSE(known);
  // Requests without _IOC encoding rp knows: legacy tty/console/file, sockets
  // (0x89xx); and tun's, whose encoding is wrong.
  for (auto [req, size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0x5424, 4},     // TIOCGETD
           {0x5456, 36},    // TIOCGLCKTRMIOS
           {0x5460, 8},     // FIOQSIZE
           {0x8905, 4},     // SIOCATMARK
           {0x8906, 16},    // SIOCGSTAMP
           {0x8910, 40},    // SIOCGIFNAME: struct ifreq
           {0x8933, 40},    // SIOCGIFINDEX
           {0x8912, 16},    // SIOCGIFCONF: struct ifconf (its buffer below)
           {0x5459, 4},     // TIOCSERGETLSR
           {0x5603, 6},     // VT_GETSTATE: struct vt_stat
           {0x4B44, 4},     // KDGKBMODE
           {0x4B33, 1},     // KDGKBTYPE
           {0x400454CA, 40},  // TUNSETIFF: _IOW, yet the ifreq comes back named
           {0x800454D2, 40}}) { // TUNGETIFF: _IOR of 4 bytes, yet an ifreq
    known = false;
    EXPECT_EQ(ioctl_output_size(req, &known), size) << std::hex << req;
    EXPECT_TRUE(known) << std::hex << req;
  }
}

TEST_P(Buffers, IoctlOutputRegions) {
  FakeMem m;
  EXPECT_EQ(outputs("ioctl", {1, 0x5413, 0x7000}, 0, m), (Regions{{0x7000, 8}}));
  EXPECT_EQ(outputs("ioctl", {1, 0x5401, 0x7000}, 0, m), (Regions{{0x7000, 36}}));
  uint64_t ior = (2ull << 30) | (24ull << 16) | ('x' << 8) | 7;
  EXPECT_EQ(outputs("ioctl", {1, ior, 0x7000}, 0, m), (Regions{{0x7000, 24}}));
  EXPECT_EQ(outputs("ioctl", {1, 0x5414 /* TIOCSWINSZ */, 0x7000}, 0, m), Regions{});
}

// Three requests write past their struct, by counts the struct holds after
// the call: FS_IOC_FIEMAP's extents (56 bytes each, at most fm_extent_count
// of them), SIOCGIFCONF's ifc_len bytes at ifc_buf; SIOCGIFBR's bridge list
// by its result.
TEST_P(Buffers, IoctlOutputsBeyondTheStruct) {
  const uint64_t fiemap = 0xC020660B, ifconf = 0x8912;
  FakeMem m;
  m.put32(0x7000 + 20, 3);  // fm_mapped_extents
  m.put32(0x7000 + 24, 8);  // fm_extent_count
  EXPECT_EQ(outputs("ioctl", {3, fiemap, 0x7000}, 0, m),
            (Regions{{0x7000, 32}, {0x7020, 3 * 56}}));
  m.put32(0x7000 + 24, 2);  // more mapped than room: the kernel writes only the room
  EXPECT_EQ(outputs("ioctl", {3, fiemap, 0x7000}, 0, m),
            (Regions{{0x7000, 32}, {0x7020, 2 * 56}}));
  m.put32(0x8000, 80);  // ifc_len
  m.put64(0x8008, 0x9000);  // ifc_buf
  EXPECT_EQ(outputs("ioctl", {3, ifconf, 0x8000}, 0, m), (Regions{{0x8000, 16}, {0x9000, 80}}));
  m.put64(0x8008, 0);  // no buffer: the kernel only says the length it needs
  EXPECT_EQ(outputs("ioctl", {3, ifconf, 0x8000}, 0, m), (Regions{{0x8000, 16}}));
  m.put64(0x6000, 1);  // SIOCGIFBR's {BRCTL_GET_BRIDGES, buffer, room}: one int per bridge
  m.put64(0x6008, 0xa000);
  m.put64(0x6010, 1024);
  EXPECT_EQ(outputs("ioctl", {3, 0x8940, 0x6000}, 3, m), (Regions{{0xa000, 12}}));
  m.put64(0x6000, 0);  // BRCTL_GET_VERSION: only a result
  EXPECT_EQ(outputs("ioctl", {3, 0x8940, 0x6000}, 2, m), Regions{});
}

TEST_P(Buffers, SelectFdsetSizesFollowNfds) {
  FakeMem m;
  EXPECT_EQ(outputs("select", {65, 0x1000, 0, 0x3000, 0x4000}, 1, m),
            (Regions{{0x1000, 16}, {0x3000, 16}, {0x4000, 16}}));
  EXPECT_EQ(outputs("select", {1, 0x1000, 0x2000, 0, 0}, 1, m),
            (Regions{{0x1000, 8}, {0x2000, 8}}));
  EXPECT_EQ(outputs("select", {64, 0x1000, 0, 0, 0}, 0, m), (Regions{{0x1000, 8}}));
  EXPECT_EQ(outputs("select", {0, 0x1000, 0, 0, 0}, 0, m), Regions{});
  // pselect6's timeout is a timespec (16 bytes as well on x86_64).
  EXPECT_EQ(outputs("pselect6", {129, 0x1000, 0, 0, 0x4000, 0}, 0, m),
            (Regions{{0x1000, 24}, {0x4000, 16}}));
}

// semctl GETALL writes one u16 per semaphore: the set's size comes from the
// kernel (user space asks it; BPF hands the call to user space; the kernel
// module cannot, and records nothing: its decoder counts that as missing).
TEST_P(Buffers, SemctlGetallIsSizedByTheSet) {
  FakeMem m;
  const uint64_t getall = 13, ipc_stat = 2;
  EXPECT_EQ(outputs("semctl", {5, 0, ipc_stat, 0x1000}, 0, m), (Regions{{0x1000, 104}}));
  uint64_t args[6] = {5, 0, getall | 0x100 /* IPC_64 */, 0x1000};
  const SyscallSpec& s = spec("semctl");
  if (g_walker == Walker::Cpp) {
    KernelFacts three{[](uint64_t semid) -> std::optional<uint64_t> {
      return semid == 5 ? std::optional<uint64_t>(3) : std::nullopt;
    }};
    EXPECT_EQ(flat(output_regions(s, args, 0, {}, m.reader(), &three)),
              (Regions{{0x1000, 6}}));
    args[0] = 6;  // a set the kernel does not know: nothing to record
    EXPECT_EQ(flat(output_regions(s, args, 0, {}, m.reader(), &three)), Regions{});
    return;
  }
  rules_result res = c_walk(s, args, 0, m, m);
  EXPECT_EQ(res.deferred, g_walker == Walker::Bpf);
  EXPECT_EQ(c_regions(res, false), Regions{});
}

// vmsplice from a pipe's read end fills the iovecs as readv does; into a
// write end it only reads them. Which one the fd is: the kernel says (user
// space from fdinfo, the module from the file; BPF hands the call to user
// space); without that, nothing is recorded.
TEST_P(Buffers, VmspliceWritesTheIovecsOnlyFromAReadEnd) {
  FakeMem m;
  m.iov(0x1000, {{0x2000, 10}, {0x3000, 20}});
  uint64_t args[6] = {RULES_READ_FD, 0x1000, 2, 0};
  const SyscallSpec& s = spec("vmsplice");
  const Regions filled{{0x2000, 10}, {0x3000, 5}};
  if (g_walker == Walker::Cpp) {
    KernelFacts facts;
    facts.fd_reads = [](uint64_t fd) { return fd == RULES_READ_FD; };
    EXPECT_EQ(flat(output_regions(s, args, 15, {}, m.reader(), &facts)), filled);
    EXPECT_EQ(flat(output_regions(s, args, 15, {}, m.reader())), Regions{});
    EXPECT_EQ(flat(output_regions(s, args, -EAGAIN, {}, m.reader(), &facts)), Regions{});
    args[0] = RULES_READ_FD + 1;  // a write end
    EXPECT_EQ(flat(output_regions(s, args, 15, {}, m.reader(), &facts)), Regions{});
    return;
  }
  rules_result res = c_walk(s, args, 15, m, m);
  EXPECT_EQ(res.deferred, g_walker == Walker::Bpf);
  EXPECT_EQ(c_regions(res, false), g_walker == Walker::Bpf ? Regions{} : filled);
  args[0] = RULES_READ_FD + 1;
  res = c_walk(s, args, 15, m, m);
  EXPECT_EQ(c_regions(res, false), Regions{});
}

// bpf(cmd, attr, size): attr as the kernel left it, and the buffers attr
// names: a lookup's value and GET_NEXT_KEY's key in the map's sizes (the
// kernel says them: user space from fdinfo, the module from the map; BPF
// hands the call to user space), an object's info (info_len bytes), a
// query's ids; a load's verifier log even when it failed.
TEST_P(Buffers, BpfWritesAttrAndTheBuffersItNames) {
  FakeMem m;
  m.put32(0x1000, RULES_BPF_MAP_FD);  // map_fd
  m.put64(0x1008, 0x2000);            // key
  m.put64(0x1010, 0x3000);            // value / next_key
  const SyscallSpec& s = spec("bpf");
  KernelFacts facts;
  facts.bpf_map = [](uint64_t fd, uint64_t* key, uint64_t* value) {
    *key = RULES_BPF_MAP_KEY;
    *value = RULES_BPF_MAP_VALUE;
    return fd == RULES_BPF_MAP_FD;
  };
  for (uint64_t cmd : {1 /* LOOKUP_ELEM */, 4 /* GET_NEXT_KEY */}) {
    uint64_t args[6] = {cmd, 0x1000, 72};
    const Regions want{{0x1000, 72}, {0x3000, cmd == 1 ? RULES_BPF_MAP_VALUE : RULES_BPF_MAP_KEY}};
    if (g_walker == Walker::Cpp) {
      EXPECT_EQ(flat(output_regions(s, args, 0, {}, m.reader(), &facts)), want);
      continue;
    }
    rules_result res = c_walk(s, args, 0, m, m);
    EXPECT_EQ(res.deferred, g_walker == Walker::Bpf);
    if (g_walker == Walker::Kmod) EXPECT_EQ(c_regions(res, false), want);
  }
  m.put32(0x1004, 40);      // info_len, as the kernel set it
  m.put64(0x1008, 0x4000);  // info
  EXPECT_EQ(outputs("bpf", {15 /* OBJ_GET_INFO_BY_FD */, 0x1000, 16}, 0, m),
            (Regions{{0x1000, 16}, {0x4000, 40}}));
  m.put64(0x1010, 0x5000);  // prog_ids
  m.put32(0x1018, 3);       // prog_cnt
  EXPECT_EQ(outputs("bpf", {16 /* PROG_QUERY */, 0x1000, 40}, 0, m),
            (Regions{{0x1000, 40}, {0x5000, 12}}));
  m.put32(0x1018, 1);       // log_level
  m.put32(0x101c, 4096);    // log_size
  m.put64(0x1020, 0x6000);  // log_buf
  EXPECT_EQ(outputs("bpf", {5 /* PROG_LOAD */, 0x1000, 116}, -EACCES, m),
            (Regions{{0x6000, 4096}}));
  EXPECT_EQ(outputs("bpf", {2 /* UPDATE_ELEM */, 0x1000, 72}, -ENOENT, m), Regions{});
  EXPECT_EQ(outputs("bpf", {2, 0x1000, 4096}, 0, m), (Regions{{0x1000, 256}}));
}

// mremap growing a file mapping records the new part, whose file bytes replay
// has no file for; anonymous memory grows with zeros in replay too.
TEST_P(Buffers, MremapRecordsWhatAGrownFileMappingGained) {
  FakeMem m;
  const SyscallSpec& s = spec("mremap");
  uint64_t args[6] = {0x500000, 0x1000, 0x3000, 1 /* MREMAP_MAYMOVE */, 0};
  // Up to the file's end: the page past it would raise SIGBUS.
  const Regions gained{{RULES_FILE_MAP + 0x1000, RULES_FILE_MAP_END - RULES_FILE_MAP - 0x1000}};
  if (g_walker == Walker::Cpp) {
    KernelFacts facts;
    facts.file_end = [](uint64_t addr) -> uint64_t {
      return addr == RULES_FILE_MAP ? RULES_FILE_MAP_END : 0;
    };
    EXPECT_EQ(flat(output_regions(s, args, RULES_FILE_MAP, {}, m.reader(), &facts)), gained);
    EXPECT_EQ(flat(output_regions(s, args, 0x900000, {}, m.reader(), &facts)), Regions{});
    EXPECT_EQ(flat(output_regions(s, args, -ENOMEM, {}, m.reader(), &facts)), Regions{});
    args[2] = 0x800;  // shrunk: nothing new
    EXPECT_EQ(flat(output_regions(s, args, RULES_FILE_MAP, {}, m.reader(), &facts)), Regions{});
    return;
  }
  rules_result res = c_walk(s, args, RULES_FILE_MAP, m, m);
  EXPECT_FALSE(res.deferred);
  EXPECT_EQ(c_regions(res, false), gained);
  res = c_walk(s, args, 0x900000, m, m);
  EXPECT_EQ(c_regions(res, false), Regions{});
  args[2] = 0x800;
  res = c_walk(s, args, RULES_FILE_MAP, m, m);
  EXPECT_FALSE(res.deferred);
  EXPECT_EQ(c_regions(res, false), Regions{});
}

// clone with CLONE_PIDFD stores the new descriptor at args[2] in the parent
// (ret: the child's tid), nothing in the child (ret 0) or without the flag.
TEST_P(Buffers, ClonePidfdIsRecordedInTheParent) {
  FakeMem m;
  const uint64_t pidfd_vfork = 0x1000 | 0x4000 | 17;  // CLONE_PIDFD | CLONE_VFORK | SIGCHLD
  EXPECT_EQ(outputs("clone", {pidfd_vfork, 0x7000, 0x2000, 0, 0}, 1234, m), (Regions{{0x2000, 4}}));
  EXPECT_EQ(outputs("clone", {pidfd_vfork, 0x7000, 0x2000, 0, 0}, 0, m), Regions{});
  EXPECT_EQ(outputs("clone", {17, 0x7000, 0x2000, 0, 0}, 1234, m), Regions{});
  EXPECT_EQ(outputs("clone", {pidfd_vfork, 0x7000, 0x2000, 0, 0}, -EINVAL, m), Regions{});
}

// The eBPF program's and the module's file end in a mapping, from its VMA.
TEST(BufferRules, FileMapEndIsThePageAfterTheFilesLastByte) {
  EXPECT_EQ(rp_file_map_end(0x10000, 0x15000, 0, 1, 12), 0x11000u);
  EXPECT_EQ(rp_file_map_end(0x10000, 0x15000, 0, 0, 12), 0x10000u);       // an empty file
  EXPECT_EQ(rp_file_map_end(0x10000, 0x15000, 2, 3 * 4096 + 1, 12), 0x12000u);  // from page 2 on
  EXPECT_EQ(rp_file_map_end(0x10000, 0x15000, 5, 3 * 4096, 12), 0x10000u);      // mapped past its end
  EXPECT_EQ(rp_file_map_end(0x10000, 0x15000, 0, uint64_t{1} << 40, 12), 0x15000u);  // never past the mapping
}

TEST_P(Buffers, FcntlOnlyGetlkWrites) {
  FakeMem m;
  EXPECT_EQ(outputs("fcntl", {3, 5 /* F_GETLK */, 0x1000}, 0, m), (Regions{{0x1000, 32}}));
  EXPECT_EQ(outputs("fcntl", {3, 6 /* F_SETLK */, 0x1000}, 0, m), Regions{});
  EXPECT_EQ(outputs("fcntl", {3, 1 /* F_GETFD */, 0}, 1, m), Regions{});
}

TEST_P(Buffers, FutexWritesTheWordItsOperationChanges) {
  FakeMem m;
  const uint64_t private_flag = 128;
  EXPECT_EQ(outputs("futex", {0x1000, 5 | private_flag /* WAKE_OP */, 1, 0, 0x2000, 0}, 1, m),
            (Regions{{0x2000, 4}}));
  EXPECT_EQ(outputs("futex", {0x1000, 6 /* LOCK_PI */, 0, 0, 0, 0}, 0, m),
            (Regions{{0x1000, 4}}));
  EXPECT_EQ(outputs("futex", {0x1000, 12 /* CMP_REQUEUE_PI */, 1, 1, 0x2000, 0}, 1, m),
            (Regions{{0x2000, 4}}));
  EXPECT_EQ(outputs("futex", {0x1000, 0 /* WAIT */, 0, 0, 0, 0}, 0, m), Regions{});
  EXPECT_EQ(outputs("futex", {0x1000, 1 /* WAKE */, 1, 0, 0x2000, 0}, 1, m), Regions{});
  EXPECT_EQ(outputs("futex", {0x1000, 6, 0, 0, 0, 0}, -ETIMEDOUT, m), Regions{});
}

// setsockopt writes back only iptables' replaced counters (SOL_IP or
// SOL_IPV6, IPT_SO_SET_REPLACE): num_counters of 16 bytes at the struct's
// counters pointer.
TEST_P(Buffers, SetsockoptWritesOnlyReplacedCounters) {
  FakeMem m;
  m.put32(0x1000 + 84, 3);       // num_counters
  m.put64(0x1000 + 88, 0x5000);  // counters
  EXPECT_EQ(outputs("setsockopt", {3, 0 /* SOL_IP */, 64, 0x1000, 200}, 0, m),
            (Regions{{0x5000, 48}}));
  EXPECT_EQ(outputs("setsockopt", {3, 41 /* SOL_IPV6 */, 64, 0x1000, 200}, 0, m),
            (Regions{{0x5000, 48}}));
  EXPECT_EQ(outputs("setsockopt", {3, 1 /* SOL_SOCKET */, 64, 0x1000, 200}, 0, m), Regions{});
  EXPECT_EQ(outputs("setsockopt", {3, 0, 64, 0x1000, 200}, -EPERM, m), Regions{});
}

TEST_P(Buffers, ArgSizedAndMultipliedOutputs) {
  FakeMem m;
  EXPECT_EQ(outputs("rt_sigpending", {0x1000, 8}, 0, m), (Regions{{0x1000, 8}}));
  EXPECT_EQ(outputs("poll", {0x1000, 3, 100}, 1, m), (Regions{{0x1000, 24}}));
  EXPECT_EQ(outputs("mincore", {0x10000, 8193, 0x1000}, 0, m), (Regions{{0x1000, 3}}));
}

TEST_P(Buffers, RecvmmsgRecordsEachReceivedMessage) {
  FakeMem m;
  // Two mmsghdrs at 0x1000 and 0x1040; only the first was filled (ret 1).
  m.iov(0x3000, {{0x4000, 100}});
  msghdr(m, 0x1000, 0, 0, 0x3000, 1, 0, 0);
  m.put32(0x1000 + 56, 9);  // msg_len
  msghdr(m, 0x1040, 0, 0, 0x3000, 1, 0, 0);
  auto r = outputs("recvmmsg", {3, 0x1000, 2, 0, 0}, 1, m);
  EXPECT_NE(std::find(r.begin(), r.end(), std::pair<uint64_t, uint64_t>(0x1000, 64)), r.end());
  EXPECT_NE(std::find(r.begin(), r.end(), std::pair<uint64_t, uint64_t>(0x4000, 9)), r.end());
  for (const auto& [a, len] : r) EXPECT_FALSE(a >= 0x1040 && a < 0x1080) << std::hex << a;
}

TEST_P(Buffers, SendmmsgRecordsOnlyMsgLen) {
  FakeMem m;
  EXPECT_EQ(outputs("sendmmsg", {3, 0x1000, 5, 0}, 2, m),
            (Regions{{0x1000 + 56, 4}, {0x1040 + 56, 4}}));
}

TEST_P(Buffers, MsgrcvRecordsMtypeAndText) {
  FakeMem m;
  // msgrcv(id, msgp, 64, 0, 0) = 5: the long mtype, then 5 bytes of text.
  EXPECT_EQ(outputs("msgrcv", {3, 0x1000, 64, 0, 0}, 5, m), (Regions{{0x1000, 13}}));
  // An empty message still has its mtype.
  EXPECT_EQ(outputs("msgrcv", {3, 0x1000, 64, 0, 0}, 0, m), (Regions{{0x1000, 8}}));
  EXPECT_EQ(outputs("msgrcv", {3, 0x1000, 64, 0, 0}, -ENOMSG, m), Regions{});
}

TEST_P(Buffers, BitsRoundUpToLongs) {
  FakeMem m;
  // get_mempolicy(&mode, nodemask, maxnode 65, addr, flags)
  EXPECT_EQ(outputs("get_mempolicy", {0x1000, 0x2000, 65, 0, 0}, 0, m),
            (Regions{{0x1000, 4}, {0x2000, 16}}));
  EXPECT_EQ(outputs("get_mempolicy", {0x1000, 0x2000, 64, 0, 0}, -EINVAL, m),
            (Regions{{0x1000, 4}}));
}

TEST_P(Buffers, FileHandleSizeFromItsHeader) {
  FakeMem m;
  m.put32(0x2000, 20);  // handle_bytes
  // name_to_handle_at(dirfd, path, handle, &mount_id, flags)
  EXPECT_EQ(outputs("name_to_handle_at", {3, 0x1000, 0x2000, 0x3000, 0}, 0, m),
            (Regions{{0x2000, 28}, {0x3000, 4}}));
  m.put32(0x2000, 4096);  // capped at MAX_HANDLE_SZ
  EXPECT_EQ(outputs("name_to_handle_at", {3, 0x1000, 0x2000, 0, 0}, 0, m),
            (Regions{{0x2000, 136}}));
}

// capget writes one data struct for version 1, two for versions 2 and 3, and
// only the header for any other version (rr's capget test puts version 1's
// 12 bytes just before an unmapped page: a fixed 24 faulted there).
TEST_P(Buffers, CapgetDataSizeFollowsTheHeadersVersion) {
  FakeMem m;
  m.put32(0x1000, 0x19980330);
  EXPECT_EQ(outputs("capget", {0x1000, 0x2000}, 0, m), (Regions{{0x2000, 12}, {0x1000, 8}}));
  m.put32(0x1000, 0x20080522);
  EXPECT_EQ(outputs("capget", {0x1000, 0x2000}, 0, m), (Regions{{0x2000, 24}, {0x1000, 8}}));
  m.put32(0x1000, 0x20071026);
  EXPECT_EQ(outputs("capget", {0x1000, 0x2000}, 0, m), (Regions{{0x2000, 24}, {0x1000, 8}}));
  EXPECT_EQ(outputs("capget", {0x1000, 0}, 0, m), (Regions{{0x1000, 8}}));
  m.put32(0x1000, 0x12345678);  // an unknown version: the kernel rewrites only the header
  EXPECT_EQ(outputs("capget", {0x1000, 0x2000}, -EINVAL, m), (Regions{{0x1000, 8}}));
}

// In probe context nothing may fault: the BPF walker hands a syscall to user
// space exactly when a word it needs is unreadable, or for recvmmsg (too
// deep for the verifier), and never otherwise.
TEST(BufferRules, BpfHandsToUserSpaceOnlyWhatItMust) {
  g_walker = Walker::Bpf;
  FakeMem m;
  m.iov(0x1000, {{0x2000, 10}, {0x3000, 20}});
  outputs("readv", {3, 0x1000, 2}, 25, m);
  EXPECT_FALSE(g_deferred);
  outputs("readv", {3, 0x9000, 2}, 25, m);
  EXPECT_TRUE(g_deferred);
  outputs("recvmmsg", {3, 0x1000, 2, 0, 0}, 0, m);
  EXPECT_FALSE(g_deferred);
  outputs("recvmmsg", {3, 0x1000, 2, 0, 0}, 1, m);
  EXPECT_TRUE(g_deferred);
}

TEST(BufferRules, AtRandomRegionOfThisProcess) {
  auto r = at_random_region(getpid());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->addr, getauxval(AT_RANDOM));
  EXPECT_EQ(r->len, 16u);
  EXPECT_FALSE(at_random_region(-1).has_value());
}

// Every size kind of syscalls.def has a case above (the syscall named here).
// rp.bpf.c writes the record of a call its table gives nothing to copy
// without walking the rules (put_plain): that must be exactly the calls whose
// C++ spec has no path argument, no input, no output and is not execve.
TEST(BufferRules, BpfRecordOnlyCallsHaveNothingToCopy) {
  int record_only = 0;
  for (const SyscallSpec* s = syscall_specs_begin(); s != syscall_specs_end(); s++) {
    int64_t nr = syscall_nr(*s);
    if (nr < 0) continue;  // not on this architecture
    bool nothing = std::string_view(s->arg_kinds).find('s') == std::string_view::npos &&
                   s->policy != RP_POLICY_EXECVE && s->input.kind == RP_SZ_NONE &&
                   std::all_of(std::begin(s->out), std::end(s->out),
                               [](const BufferSpec& o) { return o.kind == RP_SZ_NONE; });
    EXPECT_EQ(rules_bpf_record_only(nr), nothing) << s->name;
    record_only += nothing;
  }
  EXPECT_TRUE(rules_bpf_record_only(syscall_nr(spec("getppid"))));
  EXPECT_FALSE(rules_bpf_record_only(syscall_nr(spec("read"))));
  EXPECT_FALSE(rules_bpf_record_only(syscall_nr(spec("openat"))));  // a path
  EXPECT_GT(record_only, 20);
}

// A thread's last call that returned -ERESTART_RESTARTBLOCK is what its
// restart_syscall continues, until a restart_syscall ends it.
TEST(BufferRules, RestartSyscallContinuesTheLastRestartableCall) {
  rp_restart r{};
  uint64_t none[6], got[6];
  restart_args(r, none);
  EXPECT_EQ(std::vector<uint64_t>(none, none + 6), std::vector<uint64_t>(6, 0));
  const uint64_t sleep[6] = {0x1000, 0x2000, 7, 7, 7, 7};
  restart_note(r, SYS_write, sleep, 5);  // not restartable: nothing kept
  restart_args(r, got);
  EXPECT_EQ(got[5], 0u);
  restart_note(r, SYS_nanosleep, sleep, -RP_ERESTART_RESTARTBLOCK);
  restart_args(r, got);
  EXPECT_EQ(std::vector<uint64_t>(got, got + 6),
            (std::vector<uint64_t>{0x1000, 0x2000, 7, 7, 7, SYS_nanosleep}));
  EXPECT_EQ(buffers_nr(SYS_restart_syscall, got), SYS_nanosleep);
  EXPECT_EQ(buffers_nr(SYS_write, got), SYS_write);  // only restart_syscall's args[5]
  restart_note(r, SYS_restart_syscall, got, -RP_ERESTART_RESTARTBLOCK);  // stopped again
  restart_args(r, got);
  EXPECT_EQ(got[5], static_cast<uint64_t>(SYS_nanosleep));
  restart_note(r, SYS_restart_syscall, got, -EINTR);  // over
  restart_args(r, got);
  EXPECT_EQ(std::vector<uint64_t>(got, got + 6), std::vector<uint64_t>(6, 0));
}

TEST(BufferRules, EveryKindHasACase) {
  const std::pair<rp_size, const char*> cases[] = {
      {RP_SZ_FIXED, "fstat"},        {RP_SZ_RET, "read"},
      {RP_SZ_ARG, "rt_sigpending"},  {RP_SZ_ARGMUL, "poll"},
      {RP_SZ_LENPTR, "accept4"},     {RP_SZ_IOV, "readv"},
      {RP_SZ_MSGHDR, "recvmsg"},     {RP_SZ_MMSGHDR, "recvmmsg"},
      {RP_SZ_MMSGLEN, "sendmmsg"},   {RP_SZ_IOCTL, "ioctl"},
      {RP_SZ_FCNTL, "fcntl"},        {RP_SZ_FDSET, "select"},
      {RP_SZ_PAGES, "mincore"},      {RP_SZ_BITS, "get_mempolicy"},
      {RP_SZ_HANDLE, "name_to_handle_at"},
  };
  int covered = 0;
  for (const auto& [kind, name] : cases) {
    const SyscallSpec& s = spec(name);
    bool has = std::any_of(std::begin(s.out), std::end(s.out),
                           [k = kind](const auto& o) { return o.kind == k; });
    EXPECT_TRUE(has) << name << " has no output of kind " << kind;
    covered |= 1 << kind;
  }
  EXPECT_EQ(covered, ((1 << (RP_SZ_HANDLE + 1)) - 1) & ~1) << "a size kind has no case";
}

INSTANTIATE_TEST_SUITE_P(Walkers, Buffers,
                         ::testing::Values(Walker::Cpp, Walker::Bpf, Walker::Kmod),
                         [](const auto& info) {
                           switch (info.param) {
                             case Walker::Cpp: return "cpp";
                             case Walker::Bpf: return "bpf_env";
                             case Walker::Kmod: return "kmod_env";
                           }
                           return "unknown";
                         });

}  // namespace
}  // namespace rp
