#include "robust_list.h"

#include <linux/futex.h>

#include <cstring>
#include <string>

namespace rp {
namespace {

constexpr int kMaxEntries = 2048;  // the kernel's ROBUST_LIST_LIMIT

// handle_futex_death: only a word whose owner is the dying thread changes;
// its waiters bit stays. Waking waiters is not needed: replay emulates
// their futex waits.
bool mark_dead(Tracee& mem, uint64_t uaddr, uint32_t rec_tid) {
  auto v = mem.read_u32(uaddr);
  if (!v || (*v & FUTEX_TID_MASK) != rec_tid) return false;
  uint32_t dead = (*v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  return mem.write(uaddr, std::string(reinterpret_cast<const char*>(&dead), 4));
}

}  // namespace

int mark_robust_futexes_dead(Tracee& mem, uint64_t head, uint32_t rec_tid) {
  // struct robust_list_head { robust_list *next; long futex_offset; robust_list *pending; }
  if (!head) return 0;
  auto first = mem.read_u64(head), offset = mem.read_u64(head + 8),
       pending = mem.read_u64(head + 16);
  if (!first || !offset || !pending) return 0;
  int marked = 0;
  uint64_t pend = *pending & ~uint64_t{1};  // bit 0 flags a PI futex
  uint64_t entry = *first;
  for (int i = 0; i < kMaxEntries && (entry & ~uint64_t{1}) != head; i++) {
    uint64_t e = entry & ~uint64_t{1};
    auto next = mem.read_u64(e);
    if (!next) break;
    if (e != pend) marked += mark_dead(mem, e + *offset, rec_tid);
    entry = *next;
  }
  if (pend) marked += mark_dead(mem, pend + *offset, rec_tid);
  return marked;
}

}  // namespace rp
