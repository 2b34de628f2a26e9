// common/hex.h: the one hex encoding of bytes.
#include "hex.h"

#include <gtest/gtest.h>

namespace rp {
namespace {

TEST(Hex, EncodesEveryByteAsTwoLowercaseDigits) {
  EXPECT_EQ(to_hex(std::string("\x00\x0f\xa5\xff", 4)), "000fa5ff");
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex(std::string("\xde\xad\x01", 3), ' '), "de ad 01");
  EXPECT_EQ(to_hex("A", ' '), "41");
}

TEST(Hex, DecodesEitherCaseAndStopsAtTheFirstBadPair) {
  std::string all;
  for (int i = 0; i < 256; i++) all += static_cast<char>(i);
  EXPECT_EQ(from_hex(to_hex(all)), all);
  EXPECT_EQ(from_hex("DEad"), "\xde\xad");
  EXPECT_EQ(from_hex("41zz42"), "A");
  EXPECT_EQ(from_hex("414"), "A");  // an odd digit is not a byte
  EXPECT_EQ(hex_digit('g'), -1);
  EXPECT_EQ(hex_digit('F'), 15);
}

}  // namespace
}  // namespace rp
