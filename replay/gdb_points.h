// Breakpoints and watchpoints a debugger puts in the replayed program.
// Software breakpoints are int3 bytes written through /proc/pid/mem and
// hidden from memory reads; watchpoints use debug registers DR1-DR3 (DR0 is
// the replay's own, see common/debugreg.h).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rp {

class SoftBreakpoints {
 public:
  bool is_user(uint64_t addr) const;
  bool inserted_at(uint64_t addr) const;
  // gdb's Z0: false (and not set) if the address cannot hold an int3.
  bool add_user(pid_t pid, uint64_t addr);
  void remove_user(pid_t pid, uint64_t addr);
  // An internal breakpoint (reverse execution's "stop here" mark); 0: none.
  void set_marker(uint64_t addr);
  // Makes memory hold int3 exactly where wanted: gdb's breakpoints if
  // `users`, the marker if `marker`, where the code is mapped executable.
  // Also notices int3s that a remapping wiped out.
  void sync(pid_t pid, bool users, bool marker);
  void lift(pid_t pid, uint64_t addr);  // takes one out (to step over it)
  void forget_inserted();               // a new process: nothing is in memory
  // An exec replaced the program: gdb inserts its breakpoints anew (and
  // never removes the old ones).
  void forget_all() { bps_.clear(); }
  // Memory as the program sees it (original bytes under the int3s).
  void hide(uint64_t addr, std::string& bytes) const;
  // gdb wrote memory: int3s under it stay, their original bytes change.
  void written(pid_t pid, uint64_t addr, const std::string& bytes);
  // A forked child inherited the int3s: gives it back the original code.
  void restore_in(pid_t pid) const;

 private:
  struct Bp {
    bool user = false, inserted = false;
    uint8_t orig = 0;
  };
  bool insert(pid_t pid, uint64_t addr, Bp& bp);
  void remove(pid_t pid, uint64_t addr, Bp& bp);
  std::map<uint64_t, Bp> bps_;
  uint64_t marker_ = 0;
};

class Watchpoints {
 public:
  // gdb's Z2 (write) / Z4 (access) on [addr, addr+len): split into aligned
  // 1/2/4/8-byte slots. False if they do not fit in the three slots.
  bool add(int type, uint64_t addr, int len);
  bool remove(int type, uint64_t addr, int len);
  // Programs DR1-DR3 and their DR7 bits in one thread (none if !on).
  bool arm(pid_t tid, bool on) const;
  // The stop-reply reason for a trap whose DR6 shows a slot hit.
  std::optional<std::string> hit(uint64_t dr6) const;
  uint64_t generation() const { return gen_; }

 private:
  struct Watch {
    int type;
    uint64_t addr;
    int len;
  };
  struct Slot {
    uint64_t addr;
    int len;
    size_t watch;  // index in watches_
  };
  std::vector<Slot> slots() const;
  std::vector<Watch> watches_;
  uint64_t gen_ = 1;
};

uint64_t read_dr6(pid_t tid);

}  // namespace rp
