#include "cpuid_trap.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "error.h"
#include "tracer_tsc.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace rp {

namespace {

// RP_CPUID=untrapped: record and replay as on a machine without faulting.
bool cpuid_trap_declined() {
  const char* env = getenv("RP_CPUID");
  if (!env || !*env) return false;
  if (std::string(env) != "untrapped")
    throw Error("RP_CPUID='" + std::string(env) + "': the only setting is 'untrapped'");
  return true;
}

constexpr uint32_t kLeaf1EcxRdrand = 1u << 30;
constexpr uint32_t kLeaf7EbxHle = 1u << 4, kLeaf7EbxRtm = 1u << 11, kLeaf7EbxRdseed = 1u << 18;

}  // namespace

bool cpuid_faults() {
#if defined(__x86_64__)
  static std::once_flag once;
  static bool faults = false;
  std::call_once(once, [] {
    // Accepted is not enough: the fault itself is what rp needs.
    faults = dies_of_sigsegv_in_child([] {
      if (syscall(SYS_arch_prctl, kArchSetCpuid, 0) == 0) {
        unsigned a, b, c, d;
        __cpuid(0, a, b, c, d);
      }
    });
  });
  const bool declined = cpuid_trap_declined();  // a bad setting fails on every CPU
  return faults && !declined;
#else
  cpuid_trap_declined();  // the setting is checked everywhere
  return false;
#endif
}

// Each answer is asked of the CPU once per rp process: the tracer thread
// traps cpuid itself (tracer_tsc.h), and lets it run for one read at two
// MSR writes. The per-core ids are then the first core's rp ran on.
CpuidAnswer cpuid_for_program([[maybe_unused]] uint32_t leaf, [[maybe_unused]] uint32_t subleaf) {
  CpuidAnswer r{};
#if defined(__x86_64__)
  static std::mutex mu;
  static std::map<std::pair<uint32_t, uint32_t>, CpuidAnswer> asked;
  std::lock_guard lk(mu);
  auto [it, added] = asked.try_emplace({leaf, subleaf});
  if (!added) return it->second;
  uint32_t out[4];
  read_cpuid(leaf, subleaf, out);
  r = {out[0], out[1], out[2], out[3]};
  if (leaf == 1) r.ecx &= ~kLeaf1EcxRdrand;
  if (leaf == 7 && subleaf == 0) r.ebx &= ~(kLeaf7EbxHle | kLeaf7EbxRtm | kLeaf7EbxRdseed);
  it->second = r;
#endif
  return r;
}

}  // namespace rp
