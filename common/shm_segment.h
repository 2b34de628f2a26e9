// System V shared memory and replay. A segment is a host object: replay must
// never run shmget/shmat/shmdt/shmctl against it. shmget/shmctl are emulated
// (syscalls.def); the recorder keeps the bytes an attached segment showed
// right after shmat, like a file mapping's, and replay attaches shared
// anonymous memory at the recorded address instead (replay/sysv_shm.h).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "trace.h"

namespace rp {

// The length of the mapping that starts at addr in pid: the contiguous VMAs
// from there with the same backing at consecutive offsets (an mprotect split
// counts as one, a second attach of the same segment right after it does
// not); 0 if no mapping starts at addr.
uint64_t mapping_length_at(pid_t pid, uint64_t addr);

// Recording, after a successful shmat in tid returned addr: the segment's
// bytes as an output record; nullopt if unreadable.
std::optional<MemRecord> attached_segment(pid_t tid, uint64_t addr);

}  // namespace rp
