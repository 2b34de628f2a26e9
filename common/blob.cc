#include "blob.h"

#include <xxhash.h>
#include <zstd.h>

#include "error.h"

namespace rp {

std::string hash128(std::string_view b) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(b.data(), b.size()));
  return std::string(reinterpret_cast<const char*>(c.digest), sizeof c.digest);
}

uint64_t hash64(std::string_view b) { return XXH3_64bits(b.data(), b.size()); }

std::string zstd_compress(std::string_view b) {
  std::string out(ZSTD_compressBound(b.size()), '\0');
  // Level 1: recording must keep up with the program; the ratio barely improves above it.
  size_t n = ZSTD_compress(out.data(), out.size(), b.data(), b.size(), 1);
  if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string zstd_decompress(std::string_view packed, uint64_t size) {
  // The size comes from the trace: believe it only if the frame agrees, so a
  // damaged row cannot make rp allocate absurd amounts of memory.
  unsigned long long framed = ZSTD_getFrameContentSize(packed.data(), packed.size());
  if (framed == ZSTD_CONTENTSIZE_ERROR || framed == ZSTD_CONTENTSIZE_UNKNOWN || framed != size)
    throw Error("damaged blob in trace (size does not match its data)");
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), packed.data(), packed.size());
  if (ZSTD_isError(n) || n != size) throw Error("damaged blob in trace (zstd)");
  return out;
}

}  // namespace rp
