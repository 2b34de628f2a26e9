// The calls rp refuses with ENOSYS while recording (the ENOSYS policy of
// common/syscalls.def: kernel AIO, io_uring, userfaultfd...) make the program
// do what it would not do untraced: fail, or take another path. The trace
// says which were refused and how often (meta refused_calls, as
// "io_setup=1 io_uring_setup=2"); rp record warns of them and rp info lists
// them. rseq and clone3 are left out: glibc goes on without rseq and falls
// back to clone, as on an older kernel.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rp {

class RefusedCalls {
 public:
  // Counts a syscall event (number, result) if it is such a refused call.
  void count(int64_t nr, int64_t ret);
  bool empty() const { return by_name_.empty(); }
  // The meta value; empty when none were refused.
  std::string meta() const;
  // "io_setup (1 call), io_uring_setup (2 calls)".
  std::string text() const;
  // A meta value read back; nullopt if it is not one count() could have
  // written (an unknown name, a call rp does not refuse, a bad count).
  static std::optional<RefusedCalls> parse(const std::string& meta);

 private:
  std::map<std::string, uint64_t> by_name_;
};

}  // namespace rp
