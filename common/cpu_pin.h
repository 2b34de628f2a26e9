// One CPU per recording under the kernel backends (bpf, kmod): with every
// thread of the recorded program on one CPU, the only interleavings of user
// code are the scheduler's switches, which the kernel side records
// (RP_REC_SWITCH, common/rp_abi.h) and replay reproduces. docs/backends.md,
// "Threads under the kernel backends".
#pragma once
#include <sys/types.h>

#include <vector>

namespace rp {

// The least busy online CPU that rp's own affinity allows (idle time over a
// short sample of /proc/stat). Throws rp::Error if none can be found.
int choose_recording_cpu();

// Sets thread tid's affinity to exactly `cpu`. Throws rp::Error on failure.
void pin_to_cpu(pid_t tid, int cpu);

// Whether rp's own affinity lets it put a thread on `cpu`.
bool cpu_allowed(int cpu);

// Pins every thread of `tids` whose affinity differs from `cpu` back on it
// (threads that are gone are skipped); returns how many it moved.
int repin_threads(const std::vector<pid_t>& tids, int cpu);

}  // namespace rp
