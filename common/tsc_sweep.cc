// x86_64: where rdtsc cannot trap, the rdtsc and rdtscp instructions of the
// program's code, found by a linear sweep (counter_patch.h).
#include <Zydis/Zydis.h>

#include <mutex>
#include <unordered_map>

#include "blob.h"
#include "counter_patch.h"

namespace rp {
namespace {

// Every instruction of `code` from its first byte on, as a linear sweep
// decodes it; a byte that starts no valid instruction is skipped. Code that
// compilers emit decodes without a gap from a segment's start (ld.so's and
// libc's text segments of Debian 12: none), so the sweep meets each
// instruction at its start.
template <typename Visit>
void sweep(std::string_view code, Visit visit) {
  ZydisDecoder dec;
  if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
    return;
  const auto* p = reinterpret_cast<const uint8_t*>(code.data());
  ZydisDecodedInstruction zi;
  for (size_t i = 0; i < code.size();) {
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, nullptr, p + i, code.size() - i, &zi))) {
      i++;
      continue;
    }
    visit(i, zi);
    i += zi.length;
  }
}

struct Found {
  size_t offset;
  TrappedInsn kind;
};

std::vector<Found> sweep_for(std::string_view code, bool traps) {
  std::vector<Found> out;
  sweep(code, [&](size_t i, const ZydisDecodedInstruction& zi) {
    if (!traps) {
      if (zi.mnemonic == ZYDIS_MNEMONIC_RDTSC) out.push_back({i, TrappedInsn::kRdtsc});
      if (zi.mnemonic == ZYDIS_MNEMONIC_RDTSCP) out.push_back({i, TrappedInsn::kRdtscp});
      return;
    }
    int len = 0;
    TrappedInsn k = zi.mnemonic == ZYDIS_MNEMONIC_INT ? decode_tsc_trap(code.substr(i), &len)
                                                       : TrappedInsn::kNone;
    if (k != TrappedInsn::kNone) out.push_back({i, k});
  });
  return out;
}

// Every process of a program maps the same libraries: each distinct image
// is swept once per rp process (libc's text takes ~25 ms, its hash ~0.1).
std::vector<TscSite> at(uint64_t base, const std::vector<Found>& found) {
  std::vector<TscSite> out;
  for (const Found& f : found) out.push_back(TscSite{base + f.offset, f.kind});
  return out;
}

std::vector<TscSite> cached_sweep(std::string_view code, uint64_t base, bool traps) {
  static std::mutex mu;
  static std::unordered_map<uint64_t, std::vector<Found>> cache;
  const uint64_t key = hash64(code) ^ (code.size() << 1) ^ (traps ? 1 : 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return at(base, it->second);
  }
  std::vector<Found> found = sweep_for(code, traps);
  std::lock_guard<std::mutex> lock(mu);
  cache.emplace(key, found);
  return at(base, found);
}

}  // namespace

std::vector<TscSite> find_tsc_reads(std::string_view code, uint64_t base) {
  return cached_sweep(code, base, /*traps=*/false);
}

std::vector<TscSite> find_tsc_traps(std::string_view code, uint64_t base) {
  return cached_sweep(code, base, /*traps=*/true);
}

}  // namespace rp
