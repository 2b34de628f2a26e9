// Replaying System V shared memory without touching the host's segments
// (common/sysv_shm.h): a shmat becomes an mmap of shared anonymous memory at
// the recorded address (the replayer then writes the recorded bytes), a shmdt
// the munmap of that memory.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "trace.h"

namespace rp {

bool is_sysv_attach_or_detach(int64_t nr);

// `real` is stopped at the entry of e's shmat/shmdt: rewrites it into the
// mmap/munmap described above. Returns why it cannot be replayed exactly
// (empty on success).
std::string redirect_sysv_call(pid_t real, const Event& e);

}  // namespace rp
