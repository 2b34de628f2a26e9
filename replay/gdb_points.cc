#include "gdb_points.h"

#include <cstdio>
#include <set>

#include "gdb_hw.h"
#include "proc_maps.h"
#include "tracee_mem.h"

namespace rp {
namespace {

bool executable(pid_t pid, uint64_t addr) {
  for (const ProcMap& m : read_proc_maps(pid))
    if (addr >= m.start && addr < m.end) return m.perms[2] == 'x';
  return false;
}

std::string break_insn() { return std::string(gdb_break_insn()); }

}  // namespace

// ---- software breakpoints ----

bool SoftBreakpoints::is_user(uint64_t addr) const {
  auto it = bps_.find(addr);
  return it != bps_.end() && it->second.user;
}

std::vector<uint64_t> SoftBreakpoints::user_addrs() const {
  std::vector<uint64_t> out;
  for (const auto& [addr, bp] : bps_)
    if (bp.user) out.push_back(addr);
  return out;
}

bool SoftBreakpoints::inserted_at(uint64_t addr) const {
  auto it = bps_.find(addr);
  return it != bps_.end() && it->second.inserted;
}

bool SoftBreakpoints::insert(pid_t pid, uint64_t addr, Bp& bp) {
  std::string insn = break_insn();
  std::string orig = read_mem(pid, addr, insn.size());
  if (orig.size() != insn.size() || !write_mem(pid, addr, insn)) return false;
  bp.orig = orig;
  bp.inserted = true;
  return true;
}

void SoftBreakpoints::remove(pid_t pid, uint64_t addr, Bp& bp) {
  if (bp.inserted) write_mem(pid, addr, bp.orig);
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
    if (bp.inserted && read_mem(pid, addr, bp.orig.size()) != break_insn()) bp.inserted = false;
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

// Calls f(index in the range, breakpoint, index in its instruction) for each
// byte of an inserted breakpoint instruction inside [addr, addr+len).
template <typename F>
void SoftBreakpoints::overlapping(uint64_t addr, size_t len, F f) const {
  uint64_t end = addr + len, n = gdb_break_insn().size();
  for (auto it = bps_.lower_bound(addr >= n ? addr - n + 1 : 0); it != bps_.end() && it->first < end;
       ++it) {
    if (!it->second.inserted) continue;
    for (uint64_t i = 0; i < n; i++)
      if (it->first + i >= addr && it->first + i < end) f(it->first + i - addr, it->first, i);
  }
}

void SoftBreakpoints::hide(uint64_t addr, std::string& bytes) const {
  overlapping(addr, bytes.size(),
              [&](uint64_t at, uint64_t bp, uint64_t i) { bytes[at] = bps_.at(bp).orig[i]; });
}

void SoftBreakpoints::written(pid_t pid, uint64_t addr, const std::string& bytes) {
  std::set<uint64_t> touched;
  overlapping(addr, bytes.size(), [&](uint64_t at, uint64_t bp, uint64_t i) {
    bps_.at(bp).orig[i] = bytes[at];
    touched.insert(bp);
  });
  for (uint64_t bp : touched) write_mem(pid, bp, break_insn());
}

void SoftBreakpoints::restore_in(pid_t pid) const {
  for (const auto& [addr, bp] : bps_)
    if (bp.inserted) write_mem(pid, addr, bp.orig);
}

// ---- watchpoints ----

bool Watchpoints::add(int type, uint64_t addr, int len, int max_slots) {
  if (len <= 0 || (type != 2 && type != 4)) return false;
  watches_.push_back(Watch{type, addr, len});
  if (slots().size() <= static_cast<size_t>(max_slots)) {
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

std::string Watchpoints::key() const {
  std::string out;
  char b[64];
  for (const Watch& w : watches_) {
    snprintf(b, sizeof b, "%d:%llx:%d;", w.type, static_cast<unsigned long long>(w.addr), w.len);
    out += b;
  }
  return out;
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
  std::vector<HwWatch> regs;
  if (on)
    for (const Slot& s : slots())
      regs.push_back(HwWatch{s.addr, s.len, watches_[s.watch].type == 2});
  return arm_hw_watches(tid, regs);
}

std::optional<std::string> Watchpoints::hit(const TrapCause& cause) const {
  auto s = slots();
  for (size_t i = 0; i < s.size(); i++) {
    if (!((cause.watch_slots >> i) & 1)) continue;
    const Watch& w = watches_[s[i].watch];
    char b[48];
    snprintf(b, sizeof b, "%s:%llx;", w.type == 2 ? "watch" : "awatch",
             static_cast<unsigned long long>(w.addr));
    return std::string(b);
  }
  return std::nullopt;
}

}  // namespace rp
