// The rule the kernel backends (eBPF program, kernel module) run at a kernel
// copy's exit: is its output the program's stdout or stderr (common/rp_abi.h)?
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "tracee.h"

#include "kernel_copy.h"

namespace rp {
namespace {

TEST(KernelCopyRule, OnlySuccessfulCopiesThatCanBeReadBackAreChecked) {
  EXPECT_EQ(rp_copy_to_check(SYS_sendfile, 15), 0);
  EXPECT_EQ(rp_copy_to_check(SYS_splice, 1), 2);
  EXPECT_EQ(rp_copy_to_check(SYS_copy_file_range, 19), 2);
  EXPECT_EQ(rp_copy_to_check(SYS_tee, 19), 1);  // its output is its second argument
  EXPECT_EQ(rp_copy_to_check(SYS_tee, 0), -1);
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

OutputFiles output_is(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  OutputFiles out;
  out.file[0] = {st.st_dev, st.st_ino};
  return out;
}

Event copy_event(int64_t nr, int64_t ret, uint64_t a0, uint64_t a1, uint64_t a2) {
  Event e;
  e.kind = EventKind::kSyscall;
  e.nr = nr;
  e.ret = ret;
  e.args[0] = a0;
  e.args[1] = a1;
  e.args[2] = a2;
  return e;
}

// tee leaves its bytes at the head of the source pipe: read back from there.
TEST(KernelCopyReadBack, TeeBytesArePeekedFromTheSourcePipe) {
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(write(in[1], "teed bytes", 10), 10);
  ASSERT_EQ(tee(in[0], out[1], 4, 0), 4);
  Tracee mem(getpid());
  Event e = copy_event(SYS_tee, 4, in[0], out[1], 4);
  auto got = read_copied_bytes(getpid(), mem, e, output_is(out[1]));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "teed");
  char buf[16];
  EXPECT_EQ(read(in[0], buf, sizeof buf), 10);  // the peek consumed nothing
  // Not the output: nothing read back.
  EXPECT_FALSE(read_copied_bytes(getpid(), mem, e, output_is(in[1])));
  for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
}

// Another process could have read the pipe between the call and the peek:
// the bytes are unknown, not guessed.
TEST(KernelCopyReadBack, TeeBytesAreUnknownWhenAnotherProcessCanReadThePipe) {
  int in[2], out[2], go[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(write(in[1], "teed bytes", 10), 10);
  ASSERT_EQ(tee(in[0], out[1], 4, 0), 4);
  pid_t child = fork();
  if (child == 0) {  // holds in[0] open for reading until told to go
    char c;
    close(go[1]);
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  Tracee mem(getpid());
  Event e = copy_event(SYS_tee, 4, in[0], out[1], 4);
  EXPECT_FALSE(read_copied_bytes(getpid(), mem, e, output_is(out[1])));
  close(go[1]);
  int status;
  waitpid(child, &status, 0);
  EXPECT_TRUE(read_copied_bytes(getpid(), mem, e, output_is(out[1])));
  for (int fd : {in[0], in[1], out[0], out[1], go[0]}) close(fd);
}

// splice out of a pipe into a regular file that is the output: read back
// from that file, before the position the call left.
TEST(KernelCopyReadBack, SpliceFromAPipeIsReadBackFromTheOutputFile) {
  char path[] = "/tmp/rp-kcopy-splice-XXXXXX";
  int file = mkstemp(path);
  ASSERT_GE(file, 0);
  unlink(path);
  ASSERT_EQ(write(file, "head:", 5), 5);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "spliced", 7), 7);
  ASSERT_EQ(splice(p[0], nullptr, file, nullptr, 7, 0), 7);
  Tracee mem(getpid());
  Event e = copy_event(SYS_splice, 7, p[0], 0, file);
  auto got = read_copied_bytes(getpid(), mem, e, output_is(file));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "spliced");
  // Into a pipe (the output): gone.
  int q[2];
  ASSERT_EQ(pipe(q), 0);
  ASSERT_EQ(write(p[1], "gone", 4), 4);
  ASSERT_EQ(splice(p[0], nullptr, q[1], nullptr, 4, 0), 4);
  e = copy_event(SYS_splice, 4, p[0], 0, q[1]);
  EXPECT_FALSE(read_copied_bytes(getpid(), mem, e, output_is(q[1])));
  for (int fd : {file, p[0], p[1], q[0], q[1]}) close(fd);
}

}  // namespace
}  // namespace rp
