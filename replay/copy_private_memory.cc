#include "copy_private_memory.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <string>
#include <vector>

#include "arch.h"
#include "inject.h"
#include "proc_maps.h"
#include "tracee_mem.h"

namespace rp {

bool make_shared_memory_private(pid_t copy) {
  std::vector<ProcMap> shared;
  uint64_t total = 0;
  for (const ProcMap& m : read_proc_maps(copy))
    if (m.shared() && (m.prot() & PROT_WRITE)) {
      shared.push_back(m);
      total += m.size();
    }
  if (shared.empty()) return true;
  if (total > kMaxPrivateCopyBytes) return false;
  Regs at;
  if (!at.read(copy)) return false;
  const uint64_t insn = at.ip() - kSyscallInsnLen;
  if (read_mem(copy, insn, kSyscallInsnLen) != kSyscallInsn) return false;
  SyscallInjector inject(copy, insn);
  std::string error;
  bool ok = true;
  for (const ProcMap& m : shared) {
    const uint64_t len = m.size();
    // Read before the mapping is replaced; a page past a file's end does
    // not read (EIO), and then the copy keeps nothing it could not restore.
    const std::string bytes = read_mem(copy, m.start, len);
    if (bytes.size() != len) {
      ok = false;
      break;
    }
    const std::optional<int64_t> got =
        inject.call(SYS_mmap,
                    {m.start, len, static_cast<uint64_t>(m.prot()),
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, ~uint64_t{0}, 0},
                    &error);
    if (!got || static_cast<uint64_t>(*got) != m.start || !write_mem(copy, m.start, bytes)) {
      ok = false;
      break;
    }
  }
  return inject.restore(&error) && ok;
}

}  // namespace rp
