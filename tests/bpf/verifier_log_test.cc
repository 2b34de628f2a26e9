// verifier_reason (record/bpf/verifier_log.h): the verifier's reason for a
// refusal out of libbpf's messages, as rp record reports it.
#include "verifier_log.h"

#include <gtest/gtest.h>

namespace rp {
namespace {

// What libbpf 1.1 printed in Debian 6.1's arm64 guest when it refused rp's
// program (tests/arm64, before the syscall record moved off the stack).
const char* const kStackRefusal =
    "libbpf: prog 'rp_sys_exit': BPF program load failed: Permission denied\n"
    "libbpf: prog 'rp_sys_exit': -- BEGIN PROG LOAD LOG --\n"
    "combined stack size of 7 calls is 544. Too large\n"
    "processed 25091 insns (limit 1000000) max_states_per_insn 13 total_states 1862 "
    "peak_states 1161 mark_read 35\n"
    "-- END PROG LOAD LOG --\n"
    "libbpf: prog 'rp_sys_exit': failed to load: -13\n";

TEST(VerifierLog, StackRefusal) {
  EXPECT_EQ(verifier_reason(kStackRefusal),
            "rp_sys_exit: the verifier said:\n  combined stack size of 7 calls is 544. Too large");
}

TEST(VerifierLog, LastLinesWithoutStatistics) {
  std::string log =
      "libbpf: prog 'rp_sys_enter': -- BEGIN PROG LOAD LOG --\n"
      "func#0 @0\n0: R1=ctx() R10=fp0\n1: (79) r2 = *(u64 *)(r1 +0)\n"
      "2: (79) r3 = *(u64 *)(r2 +8)\nR2 invalid mem access 'scalar'\n"
      "verification time 120 usec\nstack depth 8\n"
      "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0\n"
      "-- END PROG LOAD LOG --\n";
  EXPECT_EQ(verifier_reason(log, 2),
            "rp_sys_enter: the verifier said:\n  2: (79) r3 = *(u64 *)(r2 +8)\n"
            "  R2 invalid mem access 'scalar'");
}

TEST(VerifierLog, LastOfSeveralLogs) {
  std::string two = std::string(kStackRefusal) +
                    "libbpf: prog 'rp_exit': -- BEGIN PROG LOAD LOG --\nunknown func 7\n"
                    "-- END PROG LOAD LOG --\n";
  EXPECT_EQ(verifier_reason(two), "rp_exit: the verifier said:\n  unknown func 7");
}

TEST(VerifierLog, CutShortLog) {
  EXPECT_EQ(verifier_reason("libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\nR0 !read_ok\n"),
            "p: the verifier said:\n  R0 !read_ok");
}

TEST(VerifierLog, NoLogNoReason) {
  EXPECT_EQ(verifier_reason("libbpf: failed to load object 'rp_bpf'\n"), "");
  EXPECT_EQ(verifier_reason(""), "");
  // A log of statistics only says nothing about why.
  EXPECT_EQ(verifier_reason("libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\nprocessed 1 insns\n"
                            "-- END PROG LOAD LOG --\n"),
            "");
}

}  // namespace
}  // namespace rp
