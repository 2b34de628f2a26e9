// CPUID: programs (glibc's ifunc selection first of all) pick code paths by
// what it reports. Where the CPU supports CPUID faulting rp traps and
// records it (cpuid_trap.h); either way the trace keeps a snapshot of the
// recording CPU's leaves and replay warns when the replaying CPU differs:
// untrapped, the program may then take other paths; trapped, it may use an
// instruction this CPU lacks.
#pragma once
#include <string>

namespace rp {

// "leaf.subleaf=eax,ebx,ecx,edx;..." for the leaves that describe features,
// without the per-core fields (APIC ids).
std::string cpuid_snapshot();
// The first leaf that differs between two snapshots, empty if none.
std::string cpuid_first_difference(const std::string& a, const std::string& b);

}  // namespace rp
