// RecordDecoder: rp_rec_* records (as the eBPF program or the kernel module
// write them) into trace events.
#include <gtest/gtest.h>

#include <map>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <csignal>
#include <cstring>

#include "blob.h"
#include "kernel_capture.h"

namespace rp {
namespace {

// The next data record's ordinal (RP_DATA_INDEX) for each seq: a test's data
// records are numbered in the order it builds them, as the producer does.
std::map<uint64_t, uint32_t> g_ordinals;

struct Feeder {
  Feeder() { g_ordinals.clear(); }
  RecordDecoder dec;
  std::vector<RecordDecoder::Out> out;
  void feed(const std::string& rec) { dec.feed(rec.data(), rec.size(), out); }
};

std::string sys(uint64_t seq, uint32_t tid, uint64_t tseq, int64_t nr, int64_t ret,
                uint32_t ndata, uint16_t flags = 0, std::vector<uint64_t> args = {}) {
  rp_rec_syscall r{};
  r.h.size = sizeof r;
  r.h.type = RP_REC_SYSCALL;
  r.h.flags = flags;
  r.tid = tid;
  r.tgid = tid;
  r.seq = seq;
  r.entry_seq = seq - 1;
  r.tseq = tseq;
  r.nr = nr;
  r.ret = ret;
  r.ndata = ndata;
  for (size_t i = 0; i < args.size() && i < 6; i++) r.args[i] = args[i];
  return std::string(reinterpret_cast<const char*>(&r), sizeof r);
}

std::string data(uint64_t seq, uint32_t idx, uint64_t addr, const std::string& bytes,
                 uint16_t flags = 0) {
  rp_rec_data d{};
  idx = RP_DATA_INDEX(idx, g_ordinals[seq]++);
  d.h.size = static_cast<uint32_t>((sizeof d + bytes.size() + 7) & ~size_t{7});
  d.h.type = RP_REC_DATA;
  d.h.flags = flags;
  d.len = static_cast<uint32_t>(bytes.size());
  d.out_index = idx;
  d.seq = seq;
  d.addr = addr;
  std::string s(reinterpret_cast<const char*>(&d), sizeof d);
  s += bytes;
  s.resize(d.h.size, '\0');
  return s;
}

TEST(RecordDecoder, DataFirstThenSyscallJoinsChunks) {
  Feeder f;
  f.feed(data(10, 0, 0x1000, "abc"));
  f.feed(data(10, 0, 0x1003, "def"));
  EXPECT_TRUE(f.out.empty());
  f.feed(sys(10, 7, 1, SYS_read, 6, 2, 0, {3, 0x1000, 6}));
  ASSERT_EQ(f.out.size(), 1u);
  const Event& e = f.out[0].event;
  EXPECT_EQ(e.seq, 10u);
  EXPECT_EQ(e.entry_seq, 9u);
  EXPECT_EQ(e.tid, 7);
  EXPECT_EQ(e.nr, SYS_read);
  EXPECT_EQ(e.ret, 6);
  EXPECT_EQ(e.args[1], 0x1000u);
  ASSERT_EQ(e.mem.size(), 1u);
  EXPECT_EQ(e.mem[0].addr, 0x1000u);
  EXPECT_EQ(e.mem[0].bytes, "abcdef");
  EXPECT_FALSE(e.mem[0].input);
  f.dec.finish();
  EXPECT_EQ(f.dec.lost(), 0u);
}

// The record's CLOCK_MONOTONIC times become the event's; 0 (not seen) and an
// entry after the exit are left out rather than stored wrong.
TEST(RecordDecoder, TimesAreKeptWhenConsistent) {
  auto timed = [](uint64_t seq, uint64_t t_entry, uint64_t t_exit) {
    std::string r = sys(seq, 7, seq, SYS_getpid, 7, 0);
    auto* p = reinterpret_cast<rp_rec_syscall*>(r.data());
    p->t_entry = t_entry;
    p->t_exit = t_exit;
    return r;
  };
  Feeder f;
  f.feed(timed(2, 1000, 5000));
  f.feed(timed(3, 0, 6000));
  f.feed(timed(4, 9000, 8000));
  f.feed(timed(5, 0, 0));
  ASSERT_EQ(f.out.size(), 4u);
  EXPECT_EQ(f.out[0].event.t_entry, 1000);
  EXPECT_EQ(f.out[0].event.t_exit, 5000);
  EXPECT_FALSE(f.out[1].event.t_entry);
  EXPECT_EQ(f.out[1].event.t_exit, 6000);
  EXPECT_FALSE(f.out[2].event.t_entry);
  EXPECT_EQ(f.out[2].event.t_exit, 8000);
  EXPECT_FALSE(f.out[3].event.t_entry);
  EXPECT_FALSE(f.out[3].event.t_exit);
}

std::string fork_rec(uint64_t seq, uint32_t parent, uint32_t child) {
  rp_rec_task t{};
  t.h.size = sizeof t;
  t.h.type = RP_REC_TASK;
  t.event = RP_TASK_FORK;
  t.tid = t.tgid = child;
  t.parent_tid = parent;
  t.seq = seq;
  return std::string(reinterpret_cast<const char*>(&t), sizeof t);
}

// A fork's record, numbered where the kernel had copied the memory, gives
// the fork's event that number (fork_copy.h): only a fork that copies
// memory, only a number inside its call, and only for the thread's next call.
TEST(RecordDecoder, AForkTakesTheNumberOfItsCopy) {
  Feeder f;
  auto clone_rec = [](uint64_t entry, uint64_t seq, uint32_t tid, uint64_t tseq,
                      uint64_t flags, int64_t ret) {
    std::string r = sys(seq, tid, tseq, SYS_clone, ret, 0, 0, {flags});
    reinterpret_cast<rp_rec_syscall*>(r.data())->entry_seq = entry;
    return r;
  };
  f.feed(fork_rec(12, 7, 50));
  f.feed(clone_rec(10, 14, 7, 1, SIGCHLD, 50));            // a fork: copied at 12
  f.feed(fork_rec(22, 7, 51));
  f.feed(clone_rec(20, 24, 7, 2, CLONE_VM | CLONE_VFORK | SIGCHLD, 51));  // shares it
  f.feed(fork_rec(29, 7, 52));
  f.feed(clone_rec(30, 34, 7, 3, SIGCHLD, 52));            // a number before its entry
  f.feed(sys(41, 7, 4, SYS_getpid, 7, 0));                 // none pending any more
  f.feed(clone_rec(42, 44, 7, 5, SIGCHLD, 53));
  ASSERT_EQ(f.out.size(), 5u);
  EXPECT_EQ(f.out[0].event.extra, "forkcopy:12");
  EXPECT_EQ(f.out[1].event.extra, "");
  EXPECT_EQ(f.out[2].event.extra, "");
  EXPECT_EQ(f.out[3].event.extra, "");
  EXPECT_EQ(f.out[4].event.extra, "");
}

TEST(RecordDecoder, SyscallFirstWaitsForItsData) {
  Feeder f;
  f.feed(sys(4, 7, 1, SYS_read, 2, 2));
  f.feed(data(4, 0, 0x10, "x"));
  EXPECT_TRUE(f.out.empty());
  f.feed(data(4, 1, 0x20, "y"));  // another buffer: not joined
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].event.mem.size(), 2u);
}

TEST(RecordDecoder, InterleavedSyscallsStaySeparate) {
  Feeder f;
  f.feed(data(20, 0, 0x100, "AA"));
  f.feed(data(21, 0, 0x102, "BB"));  // adjacent address, other syscall
  f.feed(sys(21, 8, 1, SYS_read, 2, 1));
  f.feed(sys(20, 7, 1, SYS_read, 2, 1));
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[0].event.mem[0].bytes, "BB");
  EXPECT_EQ(f.out[1].event.mem[0].bytes, "AA");
}

TEST(RecordDecoder, InputIsHashedStringsAreKeptEvenEmpty) {
  Feeder f;
  f.feed(data(5, RP_DATA_IDX_STR(1), 0x500, "", RP_DATAF_INPUT));
  f.feed(data(5, RP_DATA_IDX_INPUT, 0x600, "hello ", RP_DATAF_INPUT));
  f.feed(data(5, RP_DATA_IDX_INPUT, 0x606, "world", RP_DATAF_INPUT));
  f.feed(sys(5, 7, 1, SYS_write, 11, 3));
  ASSERT_EQ(f.out.size(), 1u);
  const Event& e = f.out[0].event;
  ASSERT_TRUE(e.in_hash.has_value());
  EXPECT_EQ(*e.in_hash, hash64("hello world"));
  ASSERT_EQ(e.mem.size(), 1u);
  EXPECT_TRUE(e.mem[0].input);
  EXPECT_EQ(e.mem[0].addr, 0x500u);
  EXPECT_EQ(e.mem[0].bytes, "");
}

TEST(RecordDecoder, CompletedElsewhereDropsItsDataNowAndLater) {
  Feeder f;
  f.feed(data(30, 0, 0x1000, "partial"));
  rp_rec_syscall r{};
  r.seq = 30;
  r.tid = 7;
  r.tseq = 1;
  f.dec.completed_elsewhere(r);
  f.feed(data(30, 0, 0x1007, "late"));
  f.feed(sys(31, 7, 2, SYS_getpid, 7, 0));
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].event.seq, 31u);
  f.dec.finish();
  EXPECT_EQ(f.dec.lost(), 0u);
}

TEST(RecordDecoder, CountsOrphansIncompleteAndGaps) {
  Feeder f;
  f.feed(data(40, 0, 0x10, "no syscall record"));  // orphan
  f.feed(sys(41, 7, 1, SYS_read, 4, 1));              // never gets its data
  f.feed(sys(43, 7, 3, SYS_getpid, 7, 0));            // tseq 2 never seen
  f.dec.finish();
  EXPECT_EQ(f.dec.stats().orphans, 1u);
  EXPECT_EQ(f.dec.stats().incomplete, 1u);
  EXPECT_EQ(f.dec.stats().tseq_gaps, 1u);
  EXPECT_EQ(f.dec.lost(), 3u);
}

TEST(RecordDecoder, RecycledTidStartsANewSequence) {
  Feeder f;
  f.feed(sys(1, 7, 1, SYS_getpid, 7, 0));
  f.feed(sys(2, 7, 2, SYS_getpid, 7, 0));
  f.feed(sys(3, 7, 1, SYS_getpid, 7, 0));  // a new thread with tid 7
  f.dec.finish();
  EXPECT_EQ(f.dec.lost(), 0u);
}

// A thread's first call stalled (completed from user space) while its next
// calls went through the ring: the drain thread may queue those first.
TEST(RecordDecoder, FirstRecordCompletedAfterLaterOnesIsNoNewThread) {
  Feeder f;
  f.feed(sys(5, 7, 2, SYS_getpid, 7, 0));
  f.feed(sys(7, 7, 3, SYS_getpid, 7, 0));
  rp_rec_syscall first{};
  first.seq = 3;
  first.tid = 7;
  first.tseq = 1;
  f.dec.completed_elsewhere(first);
  f.feed(sys(9, 7, 4, SYS_getpid, 7, 0));
  f.dec.finish();
  ASSERT_TRUE(f.dec.lost().has_value());
  EXPECT_EQ(*f.dec.lost(), 0u);
}

// exec from a thread other than the leader: the exec'ing thread (tid 8, its
// numbers 1..3) goes on under the leader's tid 7 (whose numbers were 1..5).
TEST(RecordDecoder, ThreadTakingOverTheLeadersTidCarriesItsNumbers) {
  Feeder f;
  for (uint64_t n = 1; n <= 5; n++) f.feed(sys(n, 7, n, SYS_getpid, 7, 0));
  for (uint64_t n = 1; n <= 2; n++) f.feed(sys(10 + n, 8, n, SYS_getpid, 7, 0));
  f.dec.thread_took_over(8, 7);  // at the exec stop, before its execve record
  f.feed(sys(20, 7, 3, SYS_execve, 0, 0));
  f.feed(sys(21, 7, 4, SYS_getpid, 7, 0));
  f.dec.finish();
  ASSERT_TRUE(f.dec.lost().has_value());
  EXPECT_EQ(*f.dec.lost(), 0u);
}

// Without being told, two threads' numbers under one tid cannot be counted:
// the loss is unknown, never a wrapped-around number.
TEST(RecordDecoder, MixedNumbersMakeTheLossUnknown) {
  Feeder f;
  for (uint64_t n = 1; n <= 3; n++) f.feed(sys(n, 7, n, SYS_getpid, 7, 0));
  for (uint64_t n = 2; n <= 4; n++) f.feed(sys(10 + n, 7, n, SYS_getpid, 7, 0));
  f.dec.finish();
  EXPECT_FALSE(f.dec.lost().has_value());
}

// The kernel module cannot size semctl GETALL's array: a successful GETALL
// with no bytes is data missing, not a call that wrote nothing.
TEST(RecordDecoder, SemctlGetallWithoutItsArrayIsMissingData) {
  Feeder f;
  f.feed(sys(1, 7, 1, SYS_semctl, 0, 0, 0, {5, 0, 13, 0x1000}));
  f.feed(sys(2, 7, 2, SYS_semctl, 0, 0, 0, {5, 0, 2 /* IPC_STAT */, 0}));
  EXPECT_EQ(f.dec.stats().missing, 1u);
}

TEST(RecordDecoder, KilledCallNeverReturned) {
  Feeder f;
  f.feed(sys(50, 7, 1, SYS_futex, -512, 0, RP_SYSF_KILLED));
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].event.extra, kNoReturn);
  EXPECT_EQ(f.out[0].event.ret, 0);
}

// A clone cut short on its way out (another thread's execve killed the
// caller) made its child all the same: replay needs the child's tid.
TEST(RecordDecoder, KilledCloneKeepsItsChild) {
  Feeder f;
  f.feed(sys(60, 7, 1, SYS_clone, 9, 0, RP_SYSF_KILLED));
  f.feed(sys(62, 7, 2, SYS_clone, -11, 0, RP_SYSF_KILLED));
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[0].event.extra, kNoReturn);
  EXPECT_EQ(f.out[0].event.ret, 9);
  EXPECT_EQ(f.out[1].event.extra, kNoReturn);
  EXPECT_EQ(f.out[1].event.ret, 0);  // failed: no child
}

TEST(RecordDecoder, FileMappingBecomesAMappingWithItsBytes) {
  Feeder f;
  uint64_t addr = 0x7f0000000000;
  f.feed(data(60, RP_DATA_IDX_EXTRA, addr, std::string(4096, 'E')));
  f.feed(sys(60, 7, 1, SYS_mmap, static_cast<int64_t>(addr), 1, 0,
             {0, 4096, PROT_READ, MAP_PRIVATE, 3, 0}));
  ASSERT_EQ(f.out.size(), 1u);
  const auto& o = f.out[0];
  ASSERT_TRUE(o.mapping.has_value());
  EXPECT_EQ(o.mapping->addr, addr);
  EXPECT_EQ(o.mapping->size, 4096u);
  EXPECT_EQ(o.event.mem[o.mapping_mem].bytes, std::string(4096, 'E'));
  // An anonymous mapping is no file mapping.
  f.feed(sys(61, 7, 2, SYS_mmap, static_cast<int64_t>(addr), 0, 0,
             {0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, static_cast<uint64_t>(-1), 0}));
  EXPECT_FALSE(f.out[1].mapping.has_value());
}

TEST(RecordDecoder, RejectsMalformedRecords) {
  Feeder f;
  std::string r = sys(70, 7, 1, SYS_getpid, 7, 0);
  f.dec.feed(r.data(), 4, f.out);  // shorter than a header
  std::string d = data(71, 0, 0x10, "abcdef");
  reinterpret_cast<rp_rec_data*>(d.data())->len = 1000;  // beyond the record
  f.feed(d);
  std::string t = r;
  reinterpret_cast<rp_rec_hdr*>(t.data())->type = 99;
  f.feed(t);
  EXPECT_EQ(f.dec.stats().malformed, 3u);
  EXPECT_EQ(f.dec.lost(), 3u);  // what rp could not parse is lost, and rp info says so
  EXPECT_TRUE(f.out.empty());
}

// A syscall record with data records packed inside it (rp_abi.h), as the eBPF
// program writes small ones.
std::string packed(std::string sys_rec, const std::vector<std::string>& inside) {
  for (const auto& d : inside) sys_rec += d;
  reinterpret_cast<rp_rec_hdr*>(sys_rec.data())->size = static_cast<uint32_t>(sys_rec.size());
  return sys_rec;
}

TEST(RecordDecoder, PackedDataCountsWithDataOfTheirOwn) {
  Feeder f;
  f.feed(data(80, 0, 0x2000, "abc"));  // too large to pack: a ring record of its own
  f.feed(packed(sys(80, 7, 1, SYS_read, 6, 3, 0, {3, 0x2000, 6}),
                {data(80, 0, 0x2003, "def"), data(80, 1, 0x3000, "xy")}));
  ASSERT_EQ(f.out.size(), 1u);
  const Event& e = f.out[0].event;
  ASSERT_EQ(e.mem.size(), 2u);
  EXPECT_EQ(e.mem[0].addr, 0x2000u);
  EXPECT_EQ(e.mem[0].bytes, "abcdef");
  EXPECT_EQ(e.mem[1].addr, 0x3000u);
  EXPECT_EQ(e.mem[1].bytes, "xy");
  // All packed: complete at once.
  f.feed(packed(sys(81, 7, 2, SYS_read, 2, 1, 0, {3, 0x4000, 2}), {data(81, 0, 0x4000, "zz")}));
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[1].event.mem.at(0).bytes, "zz");
  f.dec.finish();
  EXPECT_EQ(f.dec.lost(), 0u);
  EXPECT_EQ(f.dec.stats().malformed, 0u);
}

// The eBPF program sends a record too large to pack ahead of the syscall
// record that holds the packed ones: the input is hashed in the buffers'
// order all the same (writev's iovecs), and outputs are applied in it.
TEST(RecordDecoder, DataRecordsAreTakenInTheirOrdinalsOrder) {
  Feeder f;
  std::string first = data(6, RP_DATA_IDX_INPUT, 0x100, "AAA", RP_DATAF_INPUT);
  std::string second = data(6, RP_DATA_IDX_INPUT, 0x900, "BBB", RP_DATAF_INPUT);
  std::string third = data(6, RP_DATA_IDX_INPUT, 0x200, "CCC", RP_DATAF_INPUT);
  f.feed(second);
  f.feed(packed(sys(6, 7, 1, SYS_writev, 9, 3), {first, third}));
  ASSERT_EQ(f.out.size(), 1u);
  ASSERT_TRUE(f.out[0].event.in_hash.has_value());
  EXPECT_EQ(*f.out[0].event.in_hash, hash64("AAABBBCCC"));
  std::string a = data(8, 0, 0x100, "old"), b = data(8, 1, 0x100, "new");
  f.feed(b);
  f.feed(packed(sys(8, 7, 2, SYS_readv, 6, 2), {a}));
  ASSERT_EQ(f.out.size(), 2u);
  ASSERT_EQ(f.out[1].event.mem.size(), 2u);
  EXPECT_EQ(f.out[1].event.mem[1].bytes, "new");  // the later iovec's bytes win
  f.dec.finish();
  EXPECT_EQ(f.dec.stats().malformed, 0u);
}

// A module built before RP_DATA_INDEX numbers no record (every ordinal 0)
// and sends a call's records in order: taken as they come, none dropped.
TEST(RecordDecoder, RecordsOfAProducerThatNumbersNoneAreTakenInArrivalOrder) {
  Feeder f;
  auto unnumbered = [](uint32_t idx, uint64_t addr, const std::string& bytes, uint16_t flags) {
    std::string r = data(12, 0, addr, bytes, flags);
    reinterpret_cast<rp_rec_data*>(r.data())->out_index = idx;
    return r;
  };
  f.feed(unnumbered(RP_DATA_IDX_INPUT, 0x100, "one ", RP_DATAF_INPUT));
  f.feed(unnumbered(RP_DATA_IDX_INPUT, 0x900, "two ", RP_DATAF_INPUT));
  f.feed(unnumbered(RP_DATA_IDX_INPUT, 0x200, "three", RP_DATAF_INPUT));
  f.feed(sys(12, 7, 1, SYS_writev, 13, 3));
  ASSERT_EQ(f.out.size(), 1u);
  ASSERT_TRUE(f.out[0].event.in_hash.has_value());
  EXPECT_EQ(*f.out[0].event.in_hash, hash64("one two three"));
  f.dec.finish();
  EXPECT_EQ(f.dec.stats().malformed, 0u);
}

// Packed data of another syscall, cut short or not data at all: the record is
// malformed and none of its data is taken.
TEST(RecordDecoder, RejectsMalformedPackedData) {
  Feeder f;
  f.feed(packed(sys(90, 7, 1, SYS_read, 2, 2, 0, {3, 0x10, 2}),
                {data(90, 0, 0x10, "ab"), data(91, 0, 0x10, "cd")}));
  std::string cut = packed(sys(92, 7, 2, SYS_read, 2, 1, 0, {3, 0x10, 2}),
                           {data(92, 0, 0x10, "ab")});
  reinterpret_cast<rp_rec_hdr*>(cut.data())->size -= 8;  // the data record's end is outside
  f.feed(cut);
  std::string notdata = packed(sys(93, 7, 3, SYS_read, 2, 1, 0, {3, 0x10, 2}),
                               {data(93, 0, 0x10, "ab")});
  reinterpret_cast<rp_rec_hdr*>(notdata.data() + sizeof(rp_rec_syscall))->type = RP_REC_SYSCALL;
  f.feed(notdata);
  EXPECT_EQ(f.dec.stats().malformed, 3u);
  EXPECT_TRUE(f.out.empty());
}

std::string task_exit(uint32_t tid, uint32_t tgid, int64_t status) {
  rp_rec_task t{};
  t.h.size = sizeof t;
  t.h.type = RP_REC_TASK;
  t.event = RP_TASK_EXIT;
  t.tid = tid;
  t.tgid = tgid;
  t.status = status;
  return std::string(reinterpret_cast<const char*>(&t), sizeof t);
}

TEST(RecordDecoder, KeepsTheLastExitStatusOfAProcess) {
  Feeder f;
  EXPECT_FALSE(f.dec.exit_status(40).has_value());  // never seen: unknown, not 0
  f.feed(task_exit(41, 40, 0));                      // a thread ends first
  f.feed(task_exit(40, 40, SIGKILL));                // then the process, killed
  f.feed(task_exit(50, 50, 3 << 8));
  ASSERT_TRUE(f.dec.exit_status(40).has_value());
  EXPECT_EQ(*f.dec.exit_status(40), SIGKILL);
  EXPECT_EQ(*f.dec.exit_status(50), 3 << 8);
  std::string cut = task_exit(60, 60, 0);
  reinterpret_cast<rp_rec_hdr*>(cut.data())->size = sizeof(rp_rec_hdr) + 4;
  f.dec.feed(cut.data(), sizeof(rp_rec_hdr) + 4, f.out);
  EXPECT_FALSE(f.dec.exit_status(60).has_value());
  EXPECT_EQ(f.dec.stats().malformed, 1u);
}

std::string switch_rec(uint64_t seq, uint32_t tid, uint64_t first_reg) {
  rp_rec_switch r{};
  r.h.size = sizeof r;
  r.h.type = RP_REC_SWITCH;
  r.tid = tid;
  r.tgid = tid - 1;
  r.seq = seq;
  for (int i = 0; i < RP_SWITCH_REGS; i++) r.regs[i] = first_reg + static_cast<uint64_t>(i);
  r.digest.mask = 0x80000001u;
  r.digest.sum[31] = static_cast<uint32_t>(seq);
  return std::string(reinterpret_cast<const char*>(&r), sizeof r);
}

TEST(RecordDecoder, SwitchBecomesAPreemptionWithItsRegisters) {
  Feeder f;
  f.feed(switch_rec(33, 9, 0x1000));
  ASSERT_EQ(f.out.size(), 1u);
  const Event& e = f.out[0].event;
  EXPECT_EQ(e.kind, EventKind::kPreempt);
  EXPECT_EQ(e.seq, 33u);
  EXPECT_EQ(e.tid, 9);
  EXPECT_EQ(f.out[0].tgid, 8u);
  EXPECT_TRUE(e.mem.empty());
  SignalExtra x;
  // What replay's kPreempt path reads: the registers, then the digest.
  ASSERT_EQ(e.extra.size(), sizeof x + sizeof(rp_point_digest));
  ASSERT_TRUE(point_digest(e).has_value());
  EXPECT_EQ(point_digest(e)->mask, 0x80000001u);
  EXPECT_EQ(point_digest(e)->sum[31], 33u);
  std::memcpy(&x, e.extra.data(), sizeof x);
  for (size_t i = 0; i < sizeof x.siginfo; i++) EXPECT_EQ(x.siginfo[i], 0) << i;
  EXPECT_EQ(x.at_syscall, 0u);
  uint64_t regs[RP_SWITCH_REGS];
  std::memcpy(regs, x.regs, sizeof regs);
  for (int i = 0; i < RP_SWITCH_REGS; i++) EXPECT_EQ(regs[i], 0x1000u + i) << i;
  for (size_t i = sizeof regs; i < sizeof x.regs; i++) EXPECT_EQ(x.regs[i], 0) << i;
  EXPECT_EQ(f.dec.stats().switches, 1u);
  f.dec.finish();
  EXPECT_EQ(f.dec.lost(), 0u);
}

// Replay's search for the point may make as many passes as the time since
// the thread's last event allows (replay/signals.cc, point_search_limits).
TEST(RecordDecoder, SwitchKeepsTheTimeItStopped) {
  Feeder f;
  std::string rec = switch_rec(7, 9, 1);
  const uint64_t t_ns = 123456789;
  std::memcpy(rec.data() + offsetof(rp_rec_switch, t_ns), &t_ns, 8);
  f.feed(rec);
  f.feed(switch_rec(8, 9, 1));  // 0: not taken
  const uint64_t huge = uint64_t{1} << 63;  // past what the trace holds
  rec = switch_rec(9, 9, 1);
  std::memcpy(rec.data() + offsetof(rp_rec_switch, t_ns), &huge, 8);
  f.feed(rec);
  ASSERT_EQ(f.out.size(), 3u);
  EXPECT_EQ(f.out[0].event.t_exit, std::optional<int64_t>(123456789));
  EXPECT_FALSE(f.out[0].event.t_entry.has_value());
  EXPECT_FALSE(f.out[1].event.t_exit.has_value());
  EXPECT_FALSE(f.out[2].event.t_exit.has_value());
}

TEST(RecordDecoder, RejectsATruncatedSwitch) {
  Feeder f;
  std::string rec = switch_rec(5, 9, 1);
  // The header claims less than a whole switch record: nothing past it is read.
  const uint32_t cut = sizeof(rp_rec_switch) - 8;
  reinterpret_cast<rp_rec_hdr*>(rec.data())->size = cut;
  f.dec.feed(rec.data(), cut, f.out);
  // The header claims more than the producer holds.
  std::string whole = switch_rec(6, 9, 1);
  f.dec.feed(whole.data(), sizeof(rp_rec_hdr) + 8, f.out);
  EXPECT_TRUE(f.out.empty());
  EXPECT_EQ(f.dec.stats().malformed, 2u);
  EXPECT_EQ(f.dec.stats().switches, 0u);
}

}  // namespace
}  // namespace rp
