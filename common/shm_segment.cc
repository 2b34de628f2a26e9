#include "shm_segment.h"

#include <string>
#include <vector>

#include "proc_maps.h"
#include "tracee_mem.h"

namespace rp {

uint64_t mapping_length_at(pid_t pid, uint64_t addr) {
  const ProcMap* first = nullptr;
  uint64_t end = 0;
  std::vector<ProcMap> maps = read_proc_maps(pid);
  for (const ProcMap& v : maps) {
    if (!first) {
      if (v.start != addr) continue;
      first = &v;
      end = v.end;
    } else if (v.start == end && v.dev_major == first->dev_major &&
               v.dev_minor == first->dev_minor && v.inode == first->inode &&
               v.path == first->path && v.offset == first->offset + (v.start - addr)) {
      end = v.end;
    } else {
      break;
    }
  }
  return end ? end - addr : 0;
}

std::optional<MemRecord> attached_segment(pid_t tid, uint64_t addr) {
  uint64_t len = mapping_length_at(tid, addr);
  if (!len) return std::nullopt;
  std::string bytes = read_mem(tid, addr, len);
  if (bytes.size() != len) return std::nullopt;
  return MemRecord{addr, std::move(bytes), false};
}

}  // namespace rp
