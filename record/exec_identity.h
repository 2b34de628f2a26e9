// The identity words of a new program's auxv (AT_UID, AT_EUID, AT_GID,
// AT_EGID, AT_SECURE), which getauxval reads without a syscall. Replay runs
// the program as another user where the recording ran as root (its sandbox:
// docs/security.md), so its kernel writes other values there; the recorder
// keeps these words as outputs of the execve, which replay writes back.
#pragma once
#include <cstdint>
#include <vector>

#include "buffers.h"
#include "tracee.h"

namespace rp {

// Where those words are on the stack a successful execve left at `sp`
// (argc, argv, NULL, envp, NULL, then the auxv pairs); none if the stack
// cannot be read or walked.
std::vector<Region> auxv_identity_regions(Tracee& mem, uint64_t sp);

}  // namespace rp
