// replay/gdb_hw.h: arm64's watch register encoding and the matching of a
// watchpoint trap's data address, plain arithmetic checked on any host.
#include "gdb_hw.h"

#include <gtest/gtest.h>

namespace rp {
namespace {

constexpr uint32_t kEnableEl0 = 1 | 2 << 1;
constexpr uint32_t kStore = 2 << 3, kLoadStore = 3 << 3;

TEST(Arm64Watch, AlignsToTheDoublewordAndSelectsTheWatchedBytes) {
  auto r = arm64_watch_reg(HwWatch{0x1000, 8, true});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->addr, 0x1000u);
  EXPECT_EQ(r->ctrl, kEnableEl0 | kStore | 0xffu << 5);
  r = arm64_watch_reg(HwWatch{0x1004, 4, false});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->addr, 0x1000u);
  EXPECT_EQ(r->ctrl, kEnableEl0 | kLoadStore | 0xf0u << 5);
  r = arm64_watch_reg(HwWatch{0x2007, 1, true});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->addr, 0x2000u);
  EXPECT_EQ(r->ctrl, kEnableEl0 | kStore | 0x80u << 5);
  r = arm64_watch_reg(HwWatch{0x2001, 3, true});  // not a power of two: still one register
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ctrl >> 5 & 0xff, 0x0eu);
}

TEST(Arm64Watch, RefusesRangesThatLeaveTheDoubleword) {
  EXPECT_FALSE(arm64_watch_reg(HwWatch{0x1006, 4, true}));
  EXPECT_FALSE(arm64_watch_reg(HwWatch{0x1000, 16, true}));
  EXPECT_FALSE(arm64_watch_reg(HwWatch{0x1000, 0, true}));
}

TEST(Arm64Watch, MatchesTheNearestEnabledRegister) {
  std::vector<Arm64WatchReg> regs{*arm64_watch_reg(HwWatch{0x1000, 4, true}),
                                  *arm64_watch_reg(HwWatch{0x1004, 4, true}),
                                  Arm64WatchReg{0x3000, 0}};  // disabled
  EXPECT_EQ(arm64_watch_hit(regs, 0x1000), 0);
  EXPECT_EQ(arm64_watch_hit(regs, 0x1003), 0);
  EXPECT_EQ(arm64_watch_hit(regs, 0x1006), 1);
  // A wider access (stp of two q registers) reported by its start.
  EXPECT_EQ(arm64_watch_hit(regs, 0x0ff0), 0);
  EXPECT_EQ(arm64_watch_hit(regs, 0x3000), -1);
  EXPECT_EQ(arm64_watch_hit(regs, 0x1000 - kArm64MaxAccess), -1);
  EXPECT_EQ(arm64_watch_hit({}, 0x1000), -1);
}

}  // namespace
}  // namespace rp
