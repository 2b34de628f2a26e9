// A switch point's memory digest: the rules (common/rp_digest_rules.h) and
// their reading of a thread's memory (common/point_digest.h), tested on this
// process's own memory.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "point_digest.h"
#include "rp_digest_rules.h"
#include "trace.h"

namespace rp {
namespace {

// Sets digest register i of r (its word of the raw register set) to v.
void set_digest_reg(Regs& r, uint32_t i, uint64_t v) {
  std::memcpy(reinterpret_cast<char*>(&r.raw) + 8 * rp_digest_reg(i), &v, 8);
}

TEST(DigestRules, WindowStartsAlignedAndStopsAtThePage) {
  __u64 start = 0;
  EXPECT_EQ(rp_digest_window(0x10003, 0x7fff0000, &start), 128u);
  EXPECT_EQ(start, 0x10000u);
  EXPECT_EQ(rp_digest_window(0x10fc1, 0x7fff0000, &start), 64u);  // 0x10fc0 .. the page's end
  EXPECT_EQ(start, 0x10fc0u);
  EXPECT_EQ(rp_digest_window(0x10ff8, 0x7fff0000, &start), 8u);
}

TEST(DigestRules, NoWindowForSmallNumbersKernelAddressesOrTheDeadStack) {
  __u64 start = 0;
  EXPECT_EQ(rp_digest_window(0, 0x7fff0000, &start), 0u);
  EXPECT_EQ(rp_digest_window(4095, 0x7fff0000, &start), 0u);
  EXPECT_EQ(rp_digest_window(0xffffffffff600000ull, 0x7fff0000, &start), 0u);
  const __u64 sp = 0x7fff0800;
  EXPECT_EQ(rp_digest_window(sp - 8, sp, &start), 0u);  // under sp
  EXPECT_EQ(rp_digest_window(sp - RP_DIGEST_DEAD_STACK, sp, &start), 0u);
  EXPECT_EQ(rp_digest_window(sp - RP_DIGEST_DEAD_STACK - 256, sp, &start), 128u);
  EXPECT_EQ(rp_digest_window(sp, sp, &start), 128u);  // sp itself: live
}

TEST(DigestRules, EveryWordAndTheLengthChangeTheSum) {
  __u64 w[16] = {};
  const __u64 base = rp_digest_words(w, 16);
  for (int i = 0; i < 16; i++)
    for (int bit : {0, 31, 32, 63}) {
      __u64 v[16] = {};
      v[i] = 1ull << bit;
      EXPECT_NE(rp_digest_words(v, 16), base) << "word " << i << " bit " << bit;
    }
  EXPECT_NE(rp_digest_words(w, 15), base);
}

// A counter in a window's first word at 38186 and at 97555: the same 32-bit
// fold (what format version 3 kept), different sums.
TEST(DigestRules, KeepsTheBitsThatTellApartWhatTheOldFoldConfused) {
  __u64 a[16] = {38186}, b[16] = {97555};
  EXPECT_EQ(rp_digest_fold32(rp_digest_words(a, 16)), rp_digest_fold32(rp_digest_words(b, 16)));
  EXPECT_NE(rp_digest_words(a, 16), rp_digest_words(b, 16));
}

#if defined(__x86_64__)
TEST(DigestRules, X86DigestsTheGeneralRegistersAndRsp) {
  for (__u32 i = 0; i < 15; i++) EXPECT_EQ(rp_digest_reg(i), static_cast<int>(i));
  EXPECT_EQ(rp_digest_reg(15), 19);  // rsp, after orig_rax, rip, cs, eflags
  EXPECT_EQ(rp_digest_reg(16), -1);
}

TEST(DigestRules, X86RedZoneIsTheWindowUnderRsp) {
  static_assert(RP_DIGEST_RED_ZONE_BYTES == 64);
  __u64 regs[RP_SWITCH_REGS] = {};
  __u64 start = 0;
  regs[RP_DIGEST_SP] = 0x7fff1230;
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, RP_DIGEST_RED_ZONE, &start), 64u);
  EXPECT_EQ(start, 0x7fff11f0u);
  regs[RP_DIGEST_SP] = 0x7fff1237;  // rounded down to a word
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, RP_DIGEST_RED_ZONE, &start), 64u);
  EXPECT_EQ(start, 0x7fff11f0u);
  regs[RP_DIGEST_SP] = 0x7fff1020;  // across a page boundary: the part next to rsp
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, RP_DIGEST_RED_ZONE, &start), 32u);
  EXPECT_EQ(start, 0x7fff1000u);
  regs[RP_DIGEST_SP] = 0x7fff1000;  // at one: all of it in the page below
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, RP_DIGEST_RED_ZONE, &start), 64u);
  EXPECT_EQ(start, 0x7fff0fc0u);
  regs[RP_DIGEST_SP] = 0x1000;  // no user page under it
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, RP_DIGEST_RED_ZONE, &start), 0u);
  EXPECT_EQ(rp_digest_register_window(regs, RP_DIGEST_SP, RP_DIGEST_RED_ZONE, &start), 0u);
}
#endif

TEST(DigestRules, ARegisterWindowNeedsTheRegisterAndSpInTheSet) {
  __u64 regs[RP_SWITCH_REGS] = {};
  const __u32 i = 2;
  regs[rp_digest_reg(i)] = 0x10000;
  regs[RP_DIGEST_SP] = 0x7fff0000;
  __u64 start = 0;
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, i, &start), 128u);
  EXPECT_EQ(start, 0x10000u);
  // The register, or sp that decides the dead stack, past the words given: none.
  EXPECT_EQ(rp_digest_register_window(regs, rp_digest_reg(i), i, &start), 0u);
  EXPECT_EQ(rp_digest_register_window(regs, RP_DIGEST_SP, i, &start), 0u);
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, RP_DIGEST_REGS, &start), 0u);
  regs[rp_digest_reg(i)] = regs[RP_DIGEST_SP] - 64;  // the dead stack
  EXPECT_EQ(rp_digest_register_window(regs, RP_SWITCH_REGS, i, &start), 0u);
}

struct Page {
  Page() {
    p = static_cast<char*>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  }
  ~Page() { munmap(p, 4096); }
  char* p;
};

bool any_window(uint64_t, uint32_t) { return true; }

TEST(PointDigest, ReadsTheWindowsOfRegistersThatPointToMemory) {
  Page page;
  Regs regs;
  set_digest_reg(regs, 3, reinterpret_cast<uint64_t>(page.p + 16));
  set_digest_reg(regs, 4, 7);  // not an address
  const rp_point_digest d = read_point_digest(getpid(), regs);
  EXPECT_EQ(d.mask, 1u << 3);
  __u64 words[16];
  std::memcpy(words, page.p + 16, sizeof words);
  EXPECT_EQ(d.sum[3], rp_digest_words(words, 16));
}

TEST(PointDigest, MatchesOnlyTheSameBytesInTheComparedWindows) {
  Page page;
  Regs regs;
  set_digest_reg(regs, 0, reinterpret_cast<uint64_t>(page.p));
  const rp_point_digest d = read_point_digest(getpid(), regs);
  ASSERT_EQ(d.mask, 1u);
  EXPECT_TRUE(point_digest_matches(getpid(), d, regs, any_window));
  page.p[127] = 1;  // the window's last byte
  EXPECT_FALSE(point_digest_matches(getpid(), d, regs, any_window));
  EXPECT_TRUE(point_digest_matches(getpid(), d, regs,
                                   [](uint64_t, uint32_t) { return false; }));
  page.p[127] = 0;
  page.p[128] = 1;  // past it
  EXPECT_TRUE(point_digest_matches(getpid(), d, regs, any_window));
}

TEST(PointDigest, TellsApartPassesTheOldFoldConfused) {
  Page page;
  Regs regs;
  set_digest_reg(regs, 0, reinterpret_cast<uint64_t>(page.p));
  uint64_t counter = 38186;
  std::memcpy(page.p, &counter, 8);
  rp_point_digest d = read_point_digest(getpid(), regs);
  counter = 97555;  // a later pass, the registers the same
  std::memcpy(page.p, &counter, 8);
  EXPECT_FALSE(point_digest_matches(getpid(), d, regs, any_window));
  d.narrow = 1;  // a version 3 trace's fold cannot tell them apart
  d.sum[0] = rp_digest_fold32(d.sum[0]);
  EXPECT_TRUE(point_digest_matches(getpid(), d, regs, any_window));
  d.sum[0] ^= 1;
  EXPECT_FALSE(point_digest_matches(getpid(), d, regs, any_window));
}

// What the trampoline hashes (replay/point_patch.cc): each recorded window
// the caller compares, at its address, with its word count and recorded sum.
TEST(PointDigest, ListsTheComparedWindowsWithTheirRecordedSums) {
  Page page;
  Regs regs;
  set_digest_reg(regs, 1, reinterpret_cast<uint64_t>(page.p + 4096 - 40));  // 40 bytes to the page's end
  set_digest_reg(regs, 5, reinterpret_cast<uint64_t>(page.p + 8));
  const rp_point_digest d = read_point_digest(getpid(), regs);
  ASSERT_EQ(d.mask, (1u << 1) | (1u << 5));
  std::vector<DigestWindow> w = point_digest_windows(d, regs, any_window);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].start, reinterpret_cast<uint64_t>(page.p + 4096 - 40));
  EXPECT_EQ(w[0].words, 5u);
  EXPECT_EQ(w[0].sum, d.sum[1]);
  EXPECT_EQ(w[1].words, 16u);
  EXPECT_EQ(w[1].sum, d.sum[5]);
  EXPECT_TRUE(digest_window_holds(getpid(), w[1]));
  page.p[8] = 1;
  EXPECT_FALSE(digest_window_holds(getpid(), w[1]));
  const uint64_t skip = w[0].start;
  w = point_digest_windows(d, regs, [&](uint64_t start, uint32_t) { return start != skip; });
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].sum, d.sum[5]);
}

TEST(PointDigest, AWindowNotReadableNowDoesNotMatch) {
  Regs regs;
  rp_point_digest d;
  {
    Page page;
    set_digest_reg(regs, 0, reinterpret_cast<uint64_t>(page.p));
    d = read_point_digest(getpid(), regs);
  }
  ASSERT_EQ(d.mask, 1u);
  EXPECT_FALSE(point_digest_matches(getpid(), d, regs, any_window));
  d.mask = 0;  // not read when recorded: not compared
  EXPECT_TRUE(point_digest_matches(getpid(), d, regs, any_window));
}

TEST(PointDigest, TravelsAfterASwitchEventsRegisters) {
  Event e;
  e.kind = EventKind::kPreempt;
  SignalExtra x{};
  x.regs[0] = 42;
  rp_point_digest d{};
  d.mask = 5;
  d.sum[2] = 0xabcdef0012345678ull;
  set_point_extra(e, x, d);
  ASSERT_TRUE(point_digest(e).has_value());
  EXPECT_EQ(point_digest(e)->sum[2], 0xabcdef0012345678ull);
  EXPECT_EQ(point_digest(e)->narrow, 0u);
  EXPECT_EQ(signal_extra(e)->regs[0], 42);
  set_signal_extra(e, x);  // a trace from before digests
  EXPECT_FALSE(point_digest(e).has_value());
}

// Format version 3 kept 32-bit sums: read as such, and marked so.
TEST(PointDigest, ReadsAVersionThreeTracesNarrowDigest) {
  Event e;
  e.kind = EventKind::kSignal;
  set_signal_extra(e, SignalExtra{});
  NarrowPointDigest n{};
  n.mask = 1u << 31;
  n.sum[31] = 0xfedcba98u;
  e.extra.append(reinterpret_cast<const char*>(&n), sizeof n);
  const std::optional<rp_point_digest> d = point_digest(e);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->narrow, 1u);
  EXPECT_EQ(d->mask, 1u << 31);
  EXPECT_EQ(d->sum[31], 0xfedcba98u);
  e.extra.append(1, '\0');  // neither width
  EXPECT_FALSE(point_digest(e).has_value());
}

}  // namespace
}  // namespace rp
