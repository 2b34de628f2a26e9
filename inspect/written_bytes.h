// `rp dump -e write=FD`: the data each call sent to FD. The trace holds only
// a hash of it (Event::in_hash), but the data is in the program's memory when
// the replay stops the thread at the call's entry: it is read there, and the
// replay checks it against that hash right after (a difference diverges).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "replayer.h"

namespace rp {

// A call that sends data to the fd in its first argument: its table entry
// (syscalls.def) describes the buffers it reads (write, writev, sendmsg, ...).
bool sends_to_fd(int64_t nr);

class WrittenBytes : public SyscallObserver {
 public:
  explicit WrittenBytes(std::set<int64_t> fds) : fds_(std::move(fds)) {}
  void at_syscall_entry(const SyscallEntryStop& s) override;
  // Every byte of the buffers call `seq` handed the kernel, in order; nullptr
  // if the replay did not reach that call (or it is not on a selected fd).
  const std::string* sent(uint64_t seq) const;

 private:
  std::set<int64_t> fds_;
  std::map<uint64_t, std::string> by_seq_;
};

}  // namespace rp
