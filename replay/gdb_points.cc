#include "gdb_points.h"

#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstdio>

#include "proc_maps.h"
#include "tracee_mem.h"

namespace rp {
namespace {

constexpr uint8_t kInt3 = 0xcc;

bool executable(pid_t pid, uint64_t addr) {
  for (const ProcMap& m : read_proc_maps(pid))
    if (addr >= m.start && addr < m.end) return m.perms[2] == 'x';
  return false;
}

#if defined(__x86_64__)
long dr_offset(int i) { return static_cast<long>(offsetof(struct user, u_debugreg) + i * 8); }
#endif

}  // namespace

// ---- software breakpoints ----

bool SoftBreakpoints::is_user(uint64_t addr) const {
  auto it = bps_.find(addr);
  return it != bps_.end() && it->second.user;
}

bool SoftBreakpoints::inserted_at(uint64_t addr) const {
  auto it = bps_.find(addr);
  return it != bps_.end() && it->second.inserted;
}

bool SoftBreakpoints::insert(pid_t pid, uint64_t addr, Bp& bp) {
  std::string orig = read_mem(pid, addr, 1);
  if (orig.size() != 1 || !write_mem(pid, addr, std::string(1, static_cast<char>(kInt3))))
    return false;
  bp.orig = static_cast<uint8_t>(orig[0]);
  bp.inserted = true;
  return true;
}

void SoftBreakpoints::remove(pid_t pid, uint64_t addr, Bp& bp) {
  if (bp.inserted) write_mem(pid, addr, std::string(1, static_cast<char>(bp.orig)));
  bp.inserted = false;
}

bool SoftBreakpoints::add_user(pid_t pid, uint64_t addr) {
  Bp& bp = bps_[addr];
  if (!bp.inserted && !insert(pid, addr, bp)) {
    if (addr != marker_) bps_.erase(addr);
    return false;
  }
  bp.user = true;
  return true;
}

void SoftBreakpoints::remove_user(pid_t pid, uint64_t addr) {
  auto it = bps_.find(addr);
  if (it == bps_.end()) return;
  it->second.user = false;
  if (addr == marker_) return;
  remove(pid, addr, it->second);
  bps_.erase(it);
}

void SoftBreakpoints::set_marker(uint64_t addr) {
  marker_ = addr;
  if (addr) bps_[addr];
}

void SoftBreakpoints::sync(pid_t pid, bool users, bool marker) {
  for (auto it = bps_.begin(); it != bps_.end();) {
    auto& [addr, bp] = *it;
    bool want = (bp.user && users) || (marker && addr == marker_);
    if (bp.inserted) {
      std::string now = read_mem(pid, addr, 1);
      if (now.size() != 1 || static_cast<uint8_t>(now[0]) != kInt3) bp.inserted = false;
    }
    // Only in executable code: the dynamic loader first maps a whole
    // library read-only, then maps its code over it.
    if (want && !bp.inserted && executable(pid, addr)) insert(pid, addr, bp);
    if (!want && bp.inserted) remove(pid, addr, bp);
    if (!bp.user && addr != marker_)
      it = bps_.erase(it);
    else
      ++it;
  }
}

void SoftBreakpoints::lift(pid_t pid, uint64_t addr) {
  auto it = bps_.find(addr);
  if (it != bps_.end()) remove(pid, addr, it->second);
}

void SoftBreakpoints::forget_inserted() {
  for (auto& [addr, bp] : bps_) bp.inserted = false;
}

void SoftBreakpoints::hide(uint64_t addr, std::string& bytes) const {
  for (auto it = bps_.lower_bound(addr); it != bps_.end() && it->first < addr + bytes.size(); ++it)
    if (it->second.inserted) bytes[it->first - addr] = static_cast<char>(it->second.orig);
}

void SoftBreakpoints::written(pid_t pid, uint64_t addr, const std::string& bytes) {
  uint64_t end = addr + bytes.size();
  for (auto it = bps_.lower_bound(addr); it != bps_.end() && it->first < end; ++it) {
    if (!it->second.inserted) continue;
    it->second.orig = static_cast<uint8_t>(bytes[it->first - addr]);
    write_mem(pid, it->first, std::string(1, static_cast<char>(kInt3)));
  }
}

void SoftBreakpoints::restore_in(pid_t pid) const {
  for (const auto& [addr, bp] : bps_)
    if (bp.inserted) write_mem(pid, addr, std::string(1, static_cast<char>(bp.orig)));
}

// ---- watchpoints ----

bool Watchpoints::add(int type, uint64_t addr, int len) {
  if (len <= 0 || (type != 2 && type != 4)) return false;
  watches_.push_back(Watch{type, addr, len});
  if (slots().size() <= 3) {
    gen_++;
    return true;
  }
  watches_.pop_back();
  return false;
}

bool Watchpoints::remove(int type, uint64_t addr, int len) {
  for (auto it = watches_.begin(); it != watches_.end(); ++it) {
    if (it->type == type && it->addr == addr && it->len == len) {
      watches_.erase(it);
      gen_++;
      return true;
    }
  }
  return false;
}

std::vector<Watchpoints::Slot> Watchpoints::slots() const {
  std::vector<Slot> out;
  for (size_t w = 0; w < watches_.size(); w++) {
    uint64_t a = watches_[w].addr, end = a + static_cast<uint64_t>(watches_[w].len);
    while (a < end) {
      int size = 8;
      while (size > 1 && (a % static_cast<uint64_t>(size) || a + static_cast<uint64_t>(size) > end))
        size /= 2;
      out.push_back(Slot{a, size, w});
      a += static_cast<uint64_t>(size);
    }
  }
  return out;
}

bool Watchpoints::arm(pid_t tid, bool on) const {
#if defined(__x86_64__)
  constexpr unsigned long kOurBits = 0xfff000fc;  // L1-3, G1-3, RW/LEN 1-3
  errno = 0;
  long peeked = ptrace(PTRACE_PEEKUSER, tid, dr_offset(7), nullptr);
  unsigned long dr7 = static_cast<unsigned long>(peeked);
  if (errno) return false;
  dr7 &= ~kOurBits;
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7) != 0) return false;
  if (!on) return true;
  auto s = slots();
  for (size_t i = 0; i < s.size(); i++) {
    int reg = static_cast<int>(i) + 1;
    if (ptrace(PTRACE_POKEUSER, tid, dr_offset(reg), s[i].addr) != 0) return false;
    unsigned long rw = watches_[s[i].watch].type == 2 ? 1 : 3;  // write / read-write
    unsigned long len = s[i].len == 1 ? 0 : s[i].len == 2 ? 1 : s[i].len == 8 ? 2 : 3;
    dr7 |= 1UL << (2 * reg);
    dr7 |= (rw | len << 2) << (16 + 4 * reg);
  }
  return ptrace(PTRACE_POKEUSER, tid, dr_offset(7), dr7) == 0;
#else
  (void)tid;
  return !on;
#endif
}

std::optional<std::string> Watchpoints::hit(uint64_t dr6) const {
  auto s = slots();
  for (size_t i = 0; i < s.size(); i++) {
    if (!(dr6 & (1ULL << (i + 1)))) continue;
    const Watch& w = watches_[s[i].watch];
    char b[48];
    snprintf(b, sizeof b, "%s:%llx;", w.type == 2 ? "watch" : "awatch",
             static_cast<unsigned long long>(w.addr));
    return std::string(b);
  }
  return std::nullopt;
}

#if defined(__x86_64__)
uint64_t read_dr6(pid_t tid) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, tid, dr_offset(6), nullptr);
  return errno ? 0 : static_cast<uint64_t>(v);
}
#else
// arm64 has no DR6: a debug exception's cause comes with its siginfo. Not
// wired up yet (gdb on arm64 replays is not supported, docs/design.md).
uint64_t read_dr6(pid_t) { return 0; }
#endif

}  // namespace rp
