// Robust futexes in replay. When a thread dies holding a robust mutex, the
// kernel walks the thread's robust list and marks each futex word that holds
// the thread's tid FUTEX_OWNER_DIED. In replay the words hold the recorded
// tid (gettid and friends are emulated), not the replaying thread's, so the
// kernel leaves them alone; replay performs the walk itself with the
// recorded tid, at the thread's exit stop (its memory is still there).
#pragma once
#include <cstdint>

#include "tracee.h"

namespace rp {

// Walks the robust list at `head` in the exiting thread's memory and marks
// the futexes owned by rec_tid as the kernel would. Returns how many it marked.
int mark_robust_futexes_dead(Tracee& mem, uint64_t head, uint32_t rec_tid);

}  // namespace rp
