// Replaying System V shared memory without touching the host's segments
// (common/sysv_shm.h): a shmat becomes a shared mmap at the recorded address
// of the segment's window in the replay's memfd (shared_files.h), or of
// shared anonymous memory where it has none; the replayer then writes the
// recorded bytes. A shmdt becomes the munmap of that memory.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "trace.h"

namespace rp {

bool is_sysv_attach_or_detach(int64_t nr);

// `real` is stopped at the entry of e's shmat/shmdt: rewrites it into the
// mmap/munmap described above. Returns why it cannot be replayed exactly
// (empty on success).
// `window`: where the segment's window is in the memfd at kPastEofFd.
std::string redirect_sysv_call(pid_t real, const Event& e, std::optional<uint64_t> window);

}  // namespace rp
