#include "inspect/written_bytes.h"

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
  // A call reached once more (restarted): its last data.
  by_seq_[s.seq] = Tracee(s.real_tid).input_bytes(*syscall_spec(s.nr), s.args);
}

const std::string* WrittenBytes::sent(uint64_t seq) const {
  auto it = by_seq_.find(seq);
  return it == by_seq_.end() ? nullptr : &it->second;
}

}  // namespace rp
