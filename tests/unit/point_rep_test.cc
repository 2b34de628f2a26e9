// Points part-way through a rep string instruction (replay/point_rep.h):
// which instructions count, and the iterations between a start and a
// recorded point.
#include "point_rep.h"

#include <gtest/gtest.h>

#include <cstring>

#include "point_patch.h"

namespace rp {
namespace {

#if defined(__x86_64__)

std::string code(std::initializer_list<uint8_t> b) {
  return std::string(b.begin(), b.end()) + std::string(16, '\x90');
}

TEST(PointRep, DecodesEveryRepStringInstruction) {
  auto movsb = decode_rep_string(code({0xf3, 0xa4}), 0x1000);
  ASSERT_TRUE(movsb);
  EXPECT_EQ(movsb->length, 2u);
  EXPECT_EQ(movsb->elem_size, 1u);
  EXPECT_TRUE(movsb->src && movsb->dst && movsb->writes_memory);
  EXPECT_FALSE(movsb->compares || movsb->loads_rax);
  auto stosq = decode_rep_string(code({0xf3, 0x48, 0xab}), 0x1000);
  ASSERT_TRUE(stosq);
  EXPECT_EQ(stosq->length, 3u);
  EXPECT_EQ(stosq->elem_size, 8u);
  EXPECT_TRUE(stosq->dst && !stosq->src && stosq->writes_memory);
  auto movsw = decode_rep_string(code({0x66, 0xf3, 0xa5}), 0x1000);
  ASSERT_TRUE(movsw);
  EXPECT_EQ(movsw->elem_size, 2u);
  auto movsd = decode_rep_string(code({0xf3, 0xa5}), 0x1000);
  ASSERT_TRUE(movsd);
  EXPECT_EQ(movsd->elem_size, 4u);
  auto cmpsb = decode_rep_string(code({0xf3, 0xa6}), 0x1000);  // repe cmpsb
  ASSERT_TRUE(cmpsb);
  EXPECT_TRUE(cmpsb->compares && cmpsb->src && cmpsb->dst && !cmpsb->writes_memory);
  auto scasb = decode_rep_string(code({0xf2, 0xae}), 0x1000);  // repne scasb
  ASSERT_TRUE(scasb);
  EXPECT_TRUE(scasb->compares && scasb->dst && !scasb->src);
  auto lodsb = decode_rep_string(code({0xf3, 0xac}), 0x1000);
  ASSERT_TRUE(lodsb);
  EXPECT_TRUE(lodsb->loads_rax && lodsb->src && !lodsb->dst && !lodsb->writes_memory);
}

TEST(PointRep, OtherInstructionsAreNotRepString) {
  EXPECT_FALSE(decode_rep_string(code({0xa4}), 0x1000));              // movsb without rep
  EXPECT_FALSE(decode_rep_string(code({0xf3, 0x90}), 0x1000));        // pause
  EXPECT_FALSE(decode_rep_string(code({0xf3, 0xc3}), 0x1000));        // rep ret
  EXPECT_FALSE(decode_rep_string(code({0xf3, 0xa8, 0x01}), 0x1000));  // test $1,%al
  EXPECT_FALSE(decode_rep_string(code({0x67, 0xf3, 0xa4}), 0x1000));  // ecx/esi/edi
  EXPECT_FALSE(decode_rep_string(code({0xf3, 0x0f, 0xb8, 0xc0}), 0x1000));  // popcnt
}

// A thread at the start of `rep` with rcx = n, and the registers it has
// after k iterations.
struct Pair {
  Regs start, after;
};
Pair run_ahead(const RepString& rep, uint64_t n, uint64_t k, bool backward) {
  Pair p;
  RawRegs& s = p.start.raw;
  s.rip = 0x401000, s.rsp = 0x7ffd0000, s.rax = 7, s.rbx = 8, s.rdx = 9, s.r12 = 12;
  s.rsi = 0x500000, s.rdi = 0x600000, s.rcx = n, s.eflags = 0x246 | (backward ? 0x400 : 0);
  p.after = p.start;
  RawRegs& a = p.after.raw;
  a.rcx = n - k;
  uint64_t step = k * rep.elem_size;
  if (rep.src) a.rsi = backward ? s.rsi - step : s.rsi + step;
  if (rep.dst) a.rdi = backward ? s.rdi - step : s.rdi + step;
  return p;
}

TEST(PointRep, CountsTheIterationsToARecordedPoint) {
  auto movsq = *decode_rep_string(code({0xf3, 0x48, 0xa5}), 0x401000);
  for (bool backward : {false, true}) {
    auto [start, after] = run_ahead(movsq, 1000, 321, backward);
    EXPECT_EQ(rep_iterations(movsq, start, after), std::optional<uint64_t>(321));
    EXPECT_EQ(rep_iterations(movsq, start, start), std::optional<uint64_t>(0));
    // Not reachable from here: the recorded point is behind, or the
    // pointers are not advanced by the same count.
    EXPECT_FALSE(rep_iterations(movsq, after, start));
    Regs skewed = after;
    skewed.raw.rsi += 8;
    EXPECT_FALSE(rep_iterations(movsq, start, skewed));
    Regs other_dir = after;
    other_dir.raw.eflags ^= 0x400;
    EXPECT_FALSE(rep_iterations(movsq, start, other_dir));
    Regs other_reg = after;
    other_reg.raw.r12 += 1;
    EXPECT_FALSE(rep_iterations(movsq, start, other_reg));
  }
}

TEST(PointRep, LeavesWhatTheInstructionChangesToTheCheckAfter) {
  auto stosb = *decode_rep_string(code({0xf3, 0xaa}), 0x401000);
  auto [start, after] = run_ahead(stosb, 50, 10, false);
  EXPECT_EQ(rep_iterations(stosb, start, after), std::optional<uint64_t>(10));
  Regs moved_rsi = after;  // stos does not advance rsi: it must be equal
  moved_rsi.raw.rsi += 10;
  EXPECT_FALSE(rep_iterations(stosb, start, moved_rsi));
  Regs other_flags = after;  // nor change the flags
  other_flags.raw.eflags ^= 0x40;
  EXPECT_FALSE(rep_iterations(stosb, start, other_flags));

  auto cmpsb = *decode_rep_string(code({0xf3, 0xa6}), 0x401000);
  auto [c0, c1] = run_ahead(cmpsb, 50, 10, false);
  c1.raw.eflags ^= 0x40;  // ZF from the last comparison: checked after running
  EXPECT_EQ(rep_iterations(cmpsb, c0, c1), std::optional<uint64_t>(10));
  auto lodsb = *decode_rep_string(code({0xf3, 0xac}), 0x401000);
  auto [l0, l1] = run_ahead(lodsb, 50, 10, false);
  l1.raw.rax = 0x41;  // the last element loaded
  EXPECT_EQ(rep_iterations(lodsb, l0, l1), std::optional<uint64_t>(10));
}

TEST(PointRep, PatchDataHoldsThePointersInvariants) {
  auto movsq = *decode_rep_string(code({0xf3, 0x48, 0xa5}), 0x401000);
  for (bool backward : {false, true}) {
    auto [start, after] = run_ahead(movsq, 1000, 321, backward);
    // rsi + rcx * 8 (rsi - rcx * 8 walking down) is the same at the start
    // and part-way: what the trampoline compares (slots 4 and 5).
    std::string from_after = patch_data(after, 1, &movsq);
    std::string from_start = patch_data(start, 1, &movsq);
    EXPECT_EQ(from_after.substr(4 * 8, 16), from_start.substr(4 * 8, 16));
    uint64_t want_rsi = backward ? start.raw.rsi - 8000 : start.raw.rsi + 8000, got;
    std::memcpy(&got, from_after.data() + 4 * 8, 8);
    EXPECT_EQ(got, want_rsi);
  }
}

#endif

}  // namespace
}  // namespace rp
