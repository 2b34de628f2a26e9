#include "point_digest.h"

#include <cstring>
#include <optional>

#include "rp_digest_rules.h"
#include "tracee_mem.h"

namespace rp {
namespace {

// Calls f(i, start, len) for each digest register i of the set that has a
// window. The rules index the raw register set (PTRACE_GETREGS / NT_PRSTATUS
// order) as words.
template <class F>
void for_each_window(const Regs& r, F f) {
  constexpr uint32_t nregs = sizeof r.raw / 8;
  __u64 regs[nregs];
  std::memcpy(regs, &r.raw, sizeof regs);
  for (uint32_t i = 0; i < RP_DIGEST_REGS; i++) {
    __u64 start = 0;
    if (const uint32_t len = rp_digest_register_window(regs, nregs, i, &start)) f(i, start, len);
  }
}

// The hash of a window, or nullopt if any of it cannot be read.
std::optional<uint64_t> window_sum(pid_t tid, uint64_t start, uint32_t len) {
  const std::string bytes = read_mem(tid, start, len);
  if (bytes.size() != len) return std::nullopt;
  __u64 words[RP_DIGEST_WINDOW / 8];
  std::memcpy(words, bytes.data(), len);
  return rp_digest_words(words, len / 8);
}

}  // namespace

rp_point_digest read_point_digest(pid_t tid, const Regs& regs) {
  rp_point_digest d{};
  for_each_window(regs, [&](uint32_t i, uint64_t start, uint32_t len) {
    if (std::optional<uint64_t> sum = window_sum(tid, start, len)) {
      d.sum[i] = *sum;
      d.mask |= 1u << i;
    }
  });
  return d;
}

std::vector<DigestWindow> point_digest_windows(
    const rp_point_digest& d, const Regs& regs,
    const std::function<bool(uint64_t, uint32_t)>& compared) {
  std::vector<DigestWindow> windows;
  for_each_window(regs, [&](uint32_t i, uint64_t start, uint32_t len) {
    if ((d.mask & (1u << i)) && compared(start, len))
      windows.push_back(DigestWindow{start, len / 8, d.sum[i], d.narrow != 0});
  });
  return windows;
}

bool digest_window_holds(pid_t tid, const DigestWindow& w) {
  const std::optional<uint64_t> sum = window_sum(tid, w.start, w.words * 8);
  return sum && rp_digest_sum_matches(w.narrow, w.sum, *sum);
}

bool point_digest_matches(pid_t tid, const rp_point_digest& d, const Regs& regs,
                          const std::function<bool(uint64_t, uint32_t)>& compared) {
  for (const DigestWindow& w : point_digest_windows(d, regs, compared))
    if (!digest_window_holds(tid, w)) return false;
  return true;
}

}  // namespace rp
