// The rule the kernel backends (eBPF program, kernel module) run at a kernel
// copy's exit: is its output the program's stdout or stderr (common/rp_abi.h)?
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>

#include "kernel_copy.h"

namespace rp {
namespace {

TEST(KernelCopyRule, OnlySuccessfulCopiesThatCanBeReadBackAreChecked) {
  EXPECT_EQ(rp_copy_to_check(SYS_sendfile, 15), 0);
  EXPECT_EQ(rp_copy_to_check(SYS_splice, 1), 2);
  EXPECT_EQ(rp_copy_to_check(SYS_copy_file_range, 19), 2);
  EXPECT_EQ(rp_copy_to_check(SYS_tee, 19), -1);  // from a pipe: gone
  EXPECT_EQ(rp_copy_to_check(SYS_sendfile, 0), -1);
  EXPECT_EQ(rp_copy_to_check(SYS_copy_file_range, -22), -1);
  EXPECT_EQ(rp_copy_to_check(SYS_write, 5), -1);
}

TEST(KernelCopyRule, MatchesTheOutputFileInTheKernelsDeviceNumbering) {
  char path[] = "/tmp/rp-kcopy-rule-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  OutputFiles out;
  out.file[1] = {st.st_dev, st.st_ino};  // stderr only; stdout closed
  rp_output_files k = kernel_output_files(out);
  const uint32_t kdev = major(st.st_dev) << 20 | minor(st.st_dev);  // the kernel's s_dev
  EXPECT_TRUE(rp_is_output_file(&k, st.st_ino, kdev));
  EXPECT_FALSE(rp_is_output_file(&k, st.st_ino + 1, kdev));
  EXPECT_FALSE(rp_is_output_file(&k, st.st_ino, kdev + 1));
  EXPECT_FALSE(rp_is_output_file(&k, 0, 0));  // the closed stdout matches nothing
  close(fd);
  unlink(path);
}

}  // namespace
}  // namespace rp
