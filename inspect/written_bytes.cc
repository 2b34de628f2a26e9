#include "inspect/written_bytes.h"

#include "buffers.h"
#include "syscall_table.h"
#include "tracee.h"

namespace rp {

bool sends_to_fd(int64_t nr) {
  const SyscallSpec* s = syscall_spec(nr);
  return s && s->input.present() && s->arg_kinds[0] == 'f';
}

void WrittenBytes::at_syscall_entry(const SyscallEntryStop& s) {
  // The fd as the kernel reads it: an int.
  if (!sends_to_fd(s.nr) || !fds_.count(static_cast<int32_t>(s.args[0]))) return;
  Tracee mem(s.real_tid);
  std::string data;
  for (const auto& r : input_regions(*syscall_spec(s.nr), s.args, mem.word_reader()))
    data += mem.read(r.addr, r.len);
  by_seq_[s.seq] = std::move(data);  // a call reached once more (restarted): its last data
}

const std::string* WrittenBytes::sent(uint64_t seq) const {
  auto it = by_seq_.find(seq);
  return it == by_seq_.end() ? nullptr : &it->second;
}

}  // namespace rp
