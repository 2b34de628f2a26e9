// TracerTsc: the ptrace tracer traps rdtsc in its own thread while it records
// (common/tracer_tsc.h). The trap must be set and undone, the tracer's own
// clock and TSC reads must not fault, a stray rdtsc must be survived (rdtsc
// given back, counted, trapped again only while such faults stay rare), and a
// fault that is not an rdtsc must still end the process.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace.h"
#include "tracer_tsc.h"

namespace rp {
namespace {

#if defined(__x86_64__)

int tsc_mode() {
  int mode = 0;
  EXPECT_EQ(prctl(PR_GET_TSC, &mode, 0, 0, 0), 0);
  return mode;
}

// An rdtsc the compiler keeps.
uint64_t raw_rdtsc() {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return uint64_t{hi} << 32 | lo;
}

TEST(TracerTsc, TrapsInScopeAndRestores) {
  ASSERT_EQ(tsc_mode(), PR_TSC_ENABLE);
  {
    TracerTsc tsc;
    EXPECT_EQ(tsc_mode(), PR_TSC_SIGSEGV);
    EXPECT_TRUE(TracerTsc::trapping());
  }
  EXPECT_EQ(tsc_mode(), PR_TSC_ENABLE);
  EXPECT_FALSE(TracerTsc::trapping());
}

TEST(TracerTsc, ClockAndTscReadsDoNotFault) {
  TracerTsc tsc;
  uint64_t f0 = TracerTsc::faults();
  int64_t a = tracer_clock_ns(CLOCK_MONOTONIC);
  unsigned aux = 0;
  uint64_t t1 = read_tsc(false, &aux), t2 = read_tsc(true, &aux);
  int64_t b = tracer_clock_ns(CLOCK_MONOTONIC);
  EXPECT_GT(a, 0);
  EXPECT_LE(a, b);
  EXPECT_LE(t1, t2);
  EXPECT_EQ(TracerTsc::faults(), f0);
  EXPECT_TRUE(TracerTsc::trapping());
  EXPECT_EQ(tsc_mode(), PR_TSC_SIGSEGV);
}

// In a child whose clock_gettime syscall fails (seccomp): what
// tracer_clock_ns reads while the thread traps, 0 when it took the syscall.
bool clock_read_without_syscall() {
  const pid_t child = fork();
  if (child == 0) {
    TracerTsc tsc;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clock_gettime), 0) ||
        seccomp_load(ctx))
      _exit(2);
    _exit(tracer_clock_ns(CLOCK_MONOTONIC) > 0 ? 0 : 1);
  }
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 2) << status;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A syscall per clock read costs the tracer twice per recorded call; where
// asking to trap rdtsc has no effect, the vDSO's clock is safe to read.
TEST(TracerTsc, ClockReadsUseTheVdsoWhereRdtscDoesNotTrap) {
  EXPECT_EQ(clock_read_without_syscall(), !rdtsc_traps());
}

TEST(TracerTsc, StrayRdtscIsSurvivedAndRearmedWhenRare) {
  if (!rdtsc_traps()) {
    // A machine that ignores PR_SET_TSC (rdtsc_traps probed it so): the
    // stray rdtsc runs without a fault and the trap stays as it was set.
    TracerTsc tsc;
    const uint64_t f0 = TracerTsc::faults();
    EXPECT_GT(raw_rdtsc(), 0u);
    EXPECT_EQ(TracerTsc::faults(), f0);
    EXPECT_TRUE(TracerTsc::trapping());
    EXPECT_EQ(tsc_mode(), PR_TSC_SIGSEGV);
    return;
  }
  TracerTsc tsc;
  uint64_t f0 = TracerTsc::faults();
  uint64_t before = read_tsc(false, nullptr);
  EXPECT_GE(raw_rdtsc(), before);  // faults, rdtsc given back, runs again
  EXPECT_EQ(TracerTsc::faults(), f0 + 1);
  EXPECT_FALSE(TracerTsc::trapping());
  EXPECT_EQ(tsc_mode(), PR_TSC_ENABLE);
  EXPECT_GT(clock_ns(CLOCK_MONOTONIC), 0);  // the vDSO's clock works again meanwhile
  // Trapped again only once stops outnumber faults kStopsPerFault to one.
  const uint64_t need = TracerTsc::faults() * TracerTsc::kStopsPerFault;
  for (uint64_t i = 1; i < need; i++) tsc.rearm();
  EXPECT_FALSE(TracerTsc::trapping());
  tsc.rearm();
  EXPECT_TRUE(TracerTsc::trapping());
  EXPECT_EQ(tsc_mode(), PR_TSC_SIGSEGV);
}

TEST(TracerTscDeathTest, OtherFaultsStillKill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        TracerTsc tsc;
        *static_cast<volatile int*>(nullptr) = 1;
      },
      "");
}

#endif

}  // namespace
}  // namespace rp
