// rp record and rp info name the calls rp refused (common/refused_calls.h);
// the meta value comes from an untrusted trace and is parsed strictly.
#include <gtest/gtest.h>

#include <sys/syscall.h>

#include <cerrno>

#include "refused_calls.h"

namespace rp {
namespace {

TEST(RefusedCalls, CountsOnlyRefusedCallsThatFailedWithEnosys) {
  RefusedCalls r;
  r.count(SYS_io_uring_setup, -ENOSYS);
  r.count(SYS_io_setup, -ENOSYS);
  r.count(SYS_io_setup, -ENOSYS);
  r.count(SYS_rseq, -ENOSYS);     // glibc goes on without it
  r.count(SYS_clone3, -ENOSYS);   // glibc falls back to clone
  r.count(SYS_read, -ENOSYS);     // not a call rp refuses
  r.count(SYS_io_setup, -EINVAL); // not refused: the kernel's answer
  EXPECT_EQ(r.meta(), "io_setup=2 io_uring_setup=1");
  EXPECT_EQ(r.text(), "io_setup (2 calls), io_uring_setup (1 call)");
}

TEST(RefusedCalls, NoneIsEmpty) {
  RefusedCalls r;
  r.count(SYS_read, 5);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.meta(), "");
}

TEST(RefusedCalls, ParsesWhatItWritesAndNothingElse) {
  auto r = RefusedCalls::parse("io_setup=2 io_uring_setup=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->meta(), "io_setup=2 io_uring_setup=1");
  for (const char* bad : {"", "io_setup", "io_setup=", "io_setup=0", "io_setup=-1",
                          "io_setup=1x", "read=1", "rseq=1", "nosuchcall=1",
                          "io_setup=1 io_setup=2", "io_setup=99999999999999999999999"})
    EXPECT_FALSE(RefusedCalls::parse(bad)) << bad;
}

}  // namespace
}  // namespace rp
