// The size of a System V semaphore set, asked of the kernel at record time:
// semctl(GETALL) writes one u16 per semaphore, a count the call does not
// show (common/rp_rules.h, rp_put_semctl).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "buffers.h"

namespace rp {

// How many semaphores set semid has, as seen from thread tid's IPC namespace
// (rp enters it on a helper thread when it is not rp's own). None if the
// kernel does not say (the set is gone, no permission).
std::optional<uint64_t> sem_set_size(pid_t tid, uint64_t semid);

// KernelFacts for outputs of thread tid (set sizes, and which way its fds go
// for vmsplice, from /proc/TID/fdinfo); sizes it cannot learn are counted in
// *unsized (the region is then missing from the trace).
KernelFacts tracee_kernel_facts(pid_t tid, uint64_t* unsized);

}  // namespace rp
