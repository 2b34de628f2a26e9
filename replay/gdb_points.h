// Breakpoints and watchpoints a debugger puts in the replayed program.
// Software breakpoints are the architecture's breakpoint instruction (int3,
// brk #0: gdb_hw.h) written through /proc/pid/mem and hidden from memory
// reads; watchpoints use the watch registers gdb_hw.h programs.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gdb_hw.h"

namespace rp {

class SoftBreakpoints {
 public:
  bool is_user(uint64_t addr) const;
  // gdb's breakpoints, in address order: what a count of hits depends on.
  std::vector<uint64_t> user_addrs() const;
  bool inserted_at(uint64_t addr) const;
  // gdb's Z0: false (and not set) if the address cannot hold a breakpoint.
  bool add_user(pid_t pid, uint64_t addr);
  void remove_user(pid_t pid, uint64_t addr);
  // An internal breakpoint (reverse execution's "stop here" mark); 0: none.
  void set_marker(uint64_t addr);
  // Makes memory hold breakpoints exactly where wanted: gdb's breakpoints if
  // `users`, the marker if `marker`, where the code is mapped executable.
  // Also notices breakpoints that a remapping wiped out.
  void sync(pid_t pid, bool users, bool marker);
  void lift(pid_t pid, uint64_t addr);  // takes one out (to step over it)
  void forget_inserted();               // a new process: nothing is in memory
  // An exec replaced the program: gdb inserts its breakpoints anew (and
  // never removes the old ones).
  void forget_all() { bps_.clear(); }
  // Memory as the program sees it (original bytes under the breakpoints).
  void hide(uint64_t addr, std::string& bytes) const;
  // gdb wrote memory: breakpoints under it stay, their original bytes change.
  void written(pid_t pid, uint64_t addr, const std::string& bytes);
  // A forked child inherited the breakpoints: gives it back the original code.
  void restore_in(pid_t pid) const;

 private:
  struct Bp {
    bool user = false, inserted = false;
    std::string orig;  // the bytes under the breakpoint instruction
  };
  bool insert(pid_t pid, uint64_t addr, Bp& bp);
  void remove(pid_t pid, uint64_t addr, Bp& bp);
  template <typename F>
  void overlapping(uint64_t addr, size_t len, F f) const;
  std::map<uint64_t, Bp> bps_;
  uint64_t marker_ = 0;
};

class Watchpoints {
 public:
  // gdb's Z2 (write) / Z4 (access) on [addr, addr+len): split into aligned
  // 1/2/4/8-byte slots. False if they do not fit in the `max_slots` watch
  // registers.
  bool add(int type, uint64_t addr, int len, int max_slots);
  bool remove(int type, uint64_t addr, int len);
  // Programs the watch registers of one thread (none if !on).
  bool arm(pid_t tid, bool on) const;
  // The stop-reply reason for a debug trap a watchpoint caused.
  std::optional<std::string> hit(const TrapCause& cause) const;
  uint64_t generation() const { return gen_; }
  // The watchpoints as gdb set them, in order (`hit` reports the first
  // matching one): equal keys count the same hits. The generation cannot
  // tell, gdb removes and re-inserts its points around every stop.
  std::string key() const;

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

}  // namespace rp
