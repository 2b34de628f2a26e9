// What the buffer rules ask the kernel at record time (KernelFacts): the
// size of a System V semaphore set (semctl(GETALL) writes one u16 per
// semaphore, a count the call does not show: common/rp_rules.h,
// rp_put_semctl), an fd's direction, where a mapped file ends, a bpf map's
// key and value sizes.
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

// Where the file's bytes end in thread tid's mapping at addr (pages past a
// file's end raise SIGBUS and cannot be read); 0 if it maps no file.
uint64_t file_end_in_mapping(pid_t tid, uint64_t addr);

// A bpf map's key and value bytes (a lookup's output) from /proc/TID/fdinfo;
// false if fd is no map of thread tid.
bool bpf_map_sizes(pid_t tid, uint64_t fd, uint64_t* key, uint64_t* value);

// KernelFacts for outputs of thread tid (set sizes, and which way its fds go
// for vmsplice, from /proc/TID/fdinfo); sizes it cannot learn are counted in
// *unsized (the region is then missing from the trace).
KernelFacts tracee_kernel_facts(pid_t tid, uint64_t* unsized);

}  // namespace rp
