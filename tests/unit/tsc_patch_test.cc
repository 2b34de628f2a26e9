// x86_64 rdtsc where it cannot trap (common/insn.h, common/counter_patch.h):
// the sweep that finds rdtsc/rdtscp in code, the int that stands for each,
// and the decoding of that int at the fault.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "counter_patch.h"
#include "insn.h"

namespace rp {
namespace {

#if defined(__x86_64__)
// mov eax, 0x310f (the bytes of rdtsc inside an immediate); rdtsc;
// mov rcx, rax; rdtscp; lea rdx, [rip + 0x1f9010f] (rdtscp's bytes in a
// displacement); ret.
const std::string kCode("\xb8\x0f\x31\x00\x00"
                        "\x0f\x31"
                        "\x48\x89\xc1"
                        "\x0f\x01\xf9"
                        "\x48\x8d\x15\x0f\x01\xf9\x01"
                        "\xc3",
                        21);

struct PatchedState {
  explicit PatchedState(bool on) : was(rdtsc_patched()) { set_rdtsc_patched(on); }
  ~PatchedState() { set_rdtsc_patched(was); }
  bool was;
};

// kCode's two reads, mapped at 0x401000: (address, kind) of each site.
std::vector<std::pair<uint64_t, TrappedInsn>> sites_of(const std::vector<TscSite>& sites) {
  std::vector<std::pair<uint64_t, TrappedInsn>> out;
  for (const TscSite& s : sites) out.emplace_back(s.addr, s.kind);
  return out;
}
const std::vector<std::pair<uint64_t, TrappedInsn>> kSites = {
    {0x401005, TrappedInsn::kRdtsc}, {0x40100a, TrappedInsn::kRdtscp}};

TEST(TscSweep, FindsInstructionsNotTheirBytesInsideOthers) {
  EXPECT_EQ(sites_of(find_tsc_reads(kCode, 0x401000)), kSites);
  EXPECT_TRUE(find_tsc_traps(kCode, 0x401000).empty());
}

// What patch_counter_reads_in writes.
std::string patched(std::string code) {
  for (const TscSite& s : find_tsc_reads(code, 0)) {
    const std::string trap = encode_tsc_trap(s.kind);
    code.replace(s.addr, trap.size(), trap);
  }
  return code;
}

TEST(TscSweep, PatchedCodeKeepsItsInstructionBoundaries) {
  const std::string p = patched(kCode);
  EXPECT_EQ(p.substr(5, 2), "\xcd\x72");
  EXPECT_EQ(p.substr(10, 3), "\xcd\x73\x90");
  EXPECT_EQ(p.substr(0, 5), kCode.substr(0, 5));  // the immediate is left alone
  EXPECT_EQ(p.substr(13), kCode.substr(13));      // and the displacement
  EXPECT_TRUE(find_tsc_reads(p, 0).empty());
  auto traps = find_tsc_traps(p, 0x401000);
  EXPECT_EQ(sites_of(traps), kSites);
  std::string restored = p;  // what a detach writes back
  for (const TscSite& s : traps) {
    const std::string read = encode_tsc_read(s.kind);
    restored.replace(s.addr - 0x401000, read.size(), read);
  }
  EXPECT_EQ(restored, kCode);
  // Another int, or int $0x73 without the nop, is not one of rp's.
  EXPECT_TRUE(find_tsc_traps(std::string("\xcd\x80\xcd\x73\xc3", 5), 0).empty());
}

TEST(TscTrap, DecodedOnlyWhileRdtscIsPatched) {
  int len = 0;
  {
    PatchedState on(true);
    EXPECT_EQ(decode_trapped("\xcd\x72\x90", 0x1000, &len), TrappedInsn::kRdtsc);
    EXPECT_EQ(len, 2);
    EXPECT_EQ(decode_trapped("\xcd\x73\x90", 0x1000, &len), TrappedInsn::kRdtscp);
    EXPECT_EQ(len, 3);
    EXPECT_EQ(decode_trapped(std::string("\x0f\x31", 2), 0x1000, &len), TrappedInsn::kRdtsc);
    EXPECT_EQ(decode_trapped("\xcd\x74\x90", 0x1000, &len), TrappedInsn::kNone);
  }
  PatchedState off(false);
  EXPECT_EQ(decode_trapped("\xcd\x72\x90", 0x1000, &len), TrappedInsn::kNone);  // a crash natively
  EXPECT_EQ(decode_trapped(std::string("\x0f\x31", 2), 0x1000, &len), TrappedInsn::kRdtsc);
}

TEST(TscTrap, PatchingFollowsTheSetting) {
  PatchedState off(false);
  EXPECT_FALSE(patches_counter_reads());
  PatchedState on(true);
  EXPECT_TRUE(patches_counter_reads());
}
#endif

}  // namespace
}  // namespace rp
