// Helpers shared by the per-architecture gdb register files
// (gdb_regs_x86_64.cc, gdb_regs_aarch64.cc): target-description snippets and
// little-endian packing of the 'g' packet.
#pragma once
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

namespace rp {

// A 4-byte <flags> type of one-bit fields.
inline std::string flags_type(const char* id,
                              std::initializer_list<std::pair<const char*, int>> bits) {
  std::string s = std::string("<flags id=\"") + id + "\" size=\"4\">";
  for (const auto& [name, bit] : bits)
    s += std::string("<field name=\"") + name + "\" start=\"" + std::to_string(bit) +
         "\" end=\"" + std::to_string(bit) + "\"/>";
  return s + "</flags>";
}

inline void put(std::string& out, uint64_t v, size_t n) {
  out.append(reinterpret_cast<const char*>(&v), n);  // little endian
}

inline uint64_t get(const std::string& in, size_t& at, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, in.data() + at, n);
  at += n;
  return v;
}

}  // namespace rp
