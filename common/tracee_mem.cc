#include "tracee_mem.h"

#include <memory>

#include "tracee.h"

namespace rp {

// One access each: a temporary Tracee opens and closes the descriptor if needed.

std::string read_mem(pid_t tid, uint64_t addr, uint64_t len) { return Tracee(tid).read(addr, len); }

std::optional<uint64_t> read_u64(pid_t tid, uint64_t addr) { return Tracee(tid).read_u64(addr); }

std::optional<uint32_t> read_u32(pid_t tid, uint64_t addr) { return Tracee(tid).read_u32(addr); }

std::string read_cstring(pid_t tid, uint64_t addr, size_t max) {
  return Tracee(tid).read_cstring(addr, max);
}

bool write_mem(pid_t tid, uint64_t addr, const std::string& bytes) {
  return Tracee(tid).write(addr, bytes);
}

WordReader tracee_word_reader(pid_t tid) {
  // Shared: a WordReader is a copyable std::function, a Tracee owns an fd.
  auto t = std::make_shared<Tracee>(tid);
  return [t](uint64_t addr, int size) { return t->read_word(addr, size); };
}

}  // namespace rp
